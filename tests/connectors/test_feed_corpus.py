"""The feed connector over feedparser's own corpus of real-world feed edge cases.

Issue 3, must-show 2: ~2,100 well-formed and malformed feeds (RSS 0.9x-2.0, Atom, CDF,
encodings, entities, sanitisation...) are served from a loopback HTTP server with the HTTP
headers each file declares in its leading comment (``Header: Content-Type: ...``). The
connector must never crash (a ``ConnectorError`` is an acceptable, reported outcome) and must
ingest entries from every feed that feedparser itself, given the same bytes and headers,
parses without complaint and finds entries in. Re-running from the JSON-stored cursor must
yield nothing new.

The corpus is third-party data read in place from ../shared/data (or LISTENER_SHARED_DATA).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest

from connectors.base import Batch, ConnectorContext, ConnectorError
from connectors.feed import FeedConfig, FeedConnector
from connectors.http import HttpClient
from tests.connectors.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.shared_data

_HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z0-9-]+):[ \t]*([^\r\n]*?)\s*$", re.MULTILINE)


def _corpus() -> Path:
    base = os.environ.get("LISTENER_SHARED_DATA")
    root = Path(base) if base else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    return root / "feeds" / "feedparser-tests"


def _declared_headers(body: bytes) -> dict[str, str]:
    """The ``Header:`` lines of the leading comment (only the first 2 KB are looked at)."""
    head = body[:2048]
    end = head.find(b"-->")
    comment = head[: end if end >= 0 else len(head)]
    return {
        name.decode("ascii"): value.decode("latin-1")
        for name, value in _HEADER.findall(comment)
        if value
    }


def _expected(body: bytes, headers: dict[str, str]) -> tuple[bool, int]:
    """feedparser's own view of the bytes: (well-formed?, number of entries)."""
    wanted = {k.lower(): v for k, v in headers.items()}
    parsed = feedparser.parse(io.BytesIO(body), response_headers=wanted)
    return (not parsed.bozo, len(parsed.entries))


def test_connector_over_the_feedparser_corpus() -> None:
    corpus = _corpus()
    if not corpus.is_dir():
        pytest.skip(
            f"feed corpus not found at {corpus}; set LISTENER_SHARED_DATA to the shared data "
            "folder to run this test"
        )
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "LICENSE")
    assert len(files) >= 300, f"expected several hundred feeds in {corpus}, found {len(files)}"

    routes: dict[str, Reply] = {}
    expectations: dict[str, tuple[str, bool, int]] = {}
    for path in files:
        rel = path.relative_to(corpus).as_posix()
        body = path.read_bytes()
        headers = _declared_headers(body)
        url_path = "/" + quote(rel)
        # Only feeds that declare validators answer 304; every other second pass must be
        # deduplicated by the cursor's seen ids.
        validators = {k.lower() for k in headers} & {"etag", "last-modified"}
        routes[url_path] = Reply(body=body, headers=headers, conditional=bool(validators))
        well_formed, entries = _expected(body, headers)
        expectations[url_path] = (rel, well_formed, entries)

    outcome: Counter[str] = Counter()
    crashes: list[str] = []
    missing: list[str] = []
    repeated: list[str] = []
    errors: list[str] = []
    items_total = 0
    started = time.perf_counter()
    with (
        LoopbackServer(routes) as server,
        HttpClient(
            "listener-corpus-test/0.1", allow_private_networks=True, max_retries=0, timeout=10
        ) as http,
    ):
        for url_path, (rel, well_formed, entries) in expectations.items():
            url = server.url(url_path)
            connector = FeedConnector(
                FeedConfig(urls=[url], allow_private_networks=True),
                ConnectorContext("corpus"),
                http=http,
            )
            batches: list[Batch] = []
            try:
                batches.extend(connector.fetch(None))
                outcome["ok"] += 1
            except ConnectorError as exc:
                outcome["connector_error"] += 1
                errors.append(f"{rel}: {exc.message}")
            except Exception as exc:  # the point of the test: nothing else may escape
                crashes.append(f"{rel}: {type(exc).__name__}: {exc}")
                continue
            got = sum(len(b.items) for b in batches)
            items_total += got
            if well_formed and entries and got == 0:
                missing.append(f"{rel}: feedparser sees {entries} entries, we ingested none")
            if got > entries:
                repeated.append(f"{rel}: {got} items from {entries} entries")
            if well_formed:
                outcome["well_formed"] += 1
                if entries:
                    outcome["well_formed_with_entries"] += 1
            else:
                outcome["bozo"] += 1
                if entries:
                    outcome["bozo_with_entries"] += 1
                    outcome["bozo_with_entries_ingested"] += bool(got)
            if batches:
                stored = json.loads(json.dumps(batches[-1].cursor))
                again = sum(len(b.items) for b in connector.fetch(stored))
                if again:
                    repeated.append(f"{rel}: {again} entries again from the stored cursor")
        conditional = 0
        for url_path, reply in routes.items():
            declared = {k.lower(): v for k, v in reply.headers.items()}
            if "etag" not in declared and "last-modified" not in declared:
                continue
            seen = server.requests_for(urllib.parse.unquote(url_path))
            if len(seen) < 2:
                continue  # the first fetch failed; nothing to be conditional about
            conditional += 1
            last = seen[-1]
            if "etag" in declared:
                assert last.header("If-None-Match") == declared["etag"], url_path
            if declared.get("last-modified"):
                assert last.header("If-Modified-Since") == declared["last-modified"], url_path
    elapsed = time.perf_counter() - started

    print(
        f"\nfeed corpus: {len(files)} files in {elapsed:.1f}s; {dict(outcome)}; "
        f"{items_total} items ingested; {len(crashes)} crashes; {len(missing)} well-formed "
        f"feeds with entries but nothing ingested; {len(repeated)} repeated on re-run; "
        f"{conditional} conditional re-fetches checked"
    )
    print("connector errors (reported, not crashes):", *errors[:10], sep="\n  ")
    assert not crashes, "\n".join(crashes[:20])
    assert not missing, "\n".join(missing[:20])
    assert not repeated, "\n".join(repeated[:20])
    assert outcome["well_formed_with_entries"] >= 100
    assert outcome["bozo"] >= 20
    assert conditional >= 3
