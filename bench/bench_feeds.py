"""Throughput and memory of the feed connector over a folder of real feeds, served locally.

    .venv/bin/python bench/bench_feeds.py [FOLDER] [--bomb-mb N]

FOLDER defaults to ../shared/data/feeds/feedparser-tests (2,100 real-world edge cases). Every
file is served from a loopback HTTP server with the headers its leading comment declares,
and read by ``FeedConnector`` exactly as the daemon would. Prints counts, throughput, latency
percentiles and peak memory, then the peak memory of fetching a gzip bomb that inflates to
``--bomb-mb`` megabytes under the default 10 MB cap.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import ConnectorContext, ConnectorError
from connectors.feed import FeedConfig, FeedConnector
from connectors.http import HttpClient
from tests.connectors.loopback import LoopbackServer, Reply

_HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z0-9-]+):[ \t]*([^\r\n]*?)\s*$", re.MULTILINE)


def _default_folder() -> Path:
    shared = os.environ.get("LISTENER_SHARED_DATA")
    root = (
        Path(shared) if shared else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    return root / "feeds" / "feedparser-tests"


def _headers(body: bytes) -> dict[str, str]:
    head = body[:2048]
    end = head.find(b"-->")
    found = _HEADER.findall(head[: end if end >= 0 else len(head)])
    return {k.decode("ascii"): v.decode("latin-1") for k, v in found if v}


def _gzip_bomb(megabytes: int) -> bytes:
    """Compressed a megabyte at a time, so building it does not itself use the memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    block = b" " * 1_000_000
    parts = [packer.compress(block) for _ in range(megabytes)]
    return b"".join([*parts, packer.flush()])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=_default_folder())
    parser.add_argument("--bomb-mb", type=int, default=1000)
    args = parser.parse_args()
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"no such folder: {folder} (pass one, or set LISTENER_SHARED_DATA)", file=sys.stderr)
        return 2
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "LICENSE")
    routes = {}
    for path in files:
        body = path.read_bytes()
        routes["/" + quote(path.relative_to(folder).as_posix())] = Reply(
            body=body, headers=_headers(body), conditional=False
        )
    ok = errors = items = 0
    latencies: list[float] = []
    start_mb = _peak_mb()
    started = time.perf_counter()
    with (
        LoopbackServer(routes) as server,
        HttpClient("listener-bench/0.1", allow_private_networks=True, max_retries=0) as http,
    ):
        for route in routes:
            config = FeedConfig(urls=[server.url(route)])
            connector = FeedConnector(config, ConnectorContext("bench"), http=http)
            t0 = time.perf_counter()
            try:
                items += sum(len(batch.items) for batch in connector.fetch(None))
                ok += 1
            except ConnectorError:
                errors += 1
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"folder: {folder}")
    print(f"feeds: {len(files)}  ok: {ok}  connector errors: {errors}  items: {items}")
    print(
        f"time: {elapsed:.1f}s  feeds/s: {len(files) / elapsed:.0f}  items/s: {items / elapsed:.0f}"
    )
    print(f"per feed: p50 {quantiles[49] * 1000:.1f} ms  p95 {quantiles[94] * 1000:.1f} ms")
    print(f"peak RSS: {_peak_mb():.0f} MB (was {start_mb:.0f} MB before the run)")

    bomb = _gzip_bomb(args.bomb_mb)
    with LoopbackServer({"/bomb": Reply(body=bomb, headers={"Content-Encoding": "gzip"})}) as srv:
        connector = FeedConnector(FeedConfig(urls=[srv.url("/bomb")]), ConnectorContext("bench"))
        before = _peak_mb()
        try:
            list(connector.fetch(None))
            outcome = "accepted (unexpected)"
        except ConnectorError as exc:
            outcome = f"refused: {exc.message}"
    print(
        f"gzip bomb: {len(bomb) / 1e6:.1f} MB on the wire, {args.bomb_mb} MB inflated -> "
        f"{outcome}; peak RSS {_peak_mb():.0f} MB (was {before:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
