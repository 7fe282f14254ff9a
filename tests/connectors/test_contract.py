"""One contract, every connector: the suite runs over the registry (Airbyte's standard tests).

Each registered type must have a case here that starts a local source speaking its real protocol;
a new connector without one fails `test_every_registered_type_has_a_contract_case`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import Batch, Connector, ConnectorContext, RawItem
from connectors.registry import REGISTRY
from tests.connectors.forum_fakes import FakeDiscourse, FakeHNSearch
from tests.connectors.loopback import LoopbackServer, Reply
from tests.connectors.reddit_fake import CLIENT_ID, CLIENT_SECRET, FakeReddit
from tests.connectors.typeform_fake import TOKEN, nps_fake

HERE = Path(__file__).parent
Case = Callable[[ExitStack, pytest.MonkeyPatch], dict[str, Any]]


def _feed(stack: ExitStack, _: pytest.MonkeyPatch) -> dict[str, Any]:
    body = (HERE / "feeds" / "smb-rss2.xml").read_bytes()
    server = stack.enter_context(
        LoopbackServer({"/feed.xml": Reply(body=body, headers={"ETag": '"v1"'})})
    )
    return {
        "urls": [server.url("/feed.xml"), str(HERE / "feeds" / "saas-atom.xml")],
        "allow_private_networks": True,
    }


def _survey_file(_: ExitStack, __: pytest.MonkeyPatch) -> dict[str, Any]:
    return {
        "path": str(HERE / "surveys" / "typeform.csv"),
        "text_columns": ["What is the hardest part of your week?"],
    }


def _reddit(stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setattr("time.sleep", lambda _seconds: None)
    fake = stack.enter_context(FakeReddit())
    fake.load_fixture("smallbusiness.json")
    return {
        "subreddits": ["smallbusiness"],
        "comments": True,
        "oauth_url": fake.url,
        "reddit_url": fake.url,
        "user_agent": "python:listener-contract:v0 (by /u/test)",
        "allow_private_networks": True,
    }


def _discourse(stack: ExitStack, _: pytest.MonkeyPatch) -> dict[str, Any]:
    fake = FakeDiscourse.from_fixture().start()
    stack.callback(fake.stop)
    return {"base_url": fake.url, "allow_private_networks": True}


def _hackernews(stack: ExitStack, _: pytest.MonkeyPatch) -> dict[str, Any]:
    fake = FakeHNSearch.from_fixture().start()
    stack.callback(fake.stop)
    return {"queries": ["invoicing"], "api_url": fake.api_url, "allow_private_networks": True}


def _typeform(stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("TYPEFORM_TOKEN", TOKEN)
    fake = nps_fake(5).start()
    stack.callback(fake.stop)
    return {
        "forms": ["Lz4Q9xkP"],
        "api_url": fake.url,
        "page_size": 2,
        "allow_private_networks": True,
    }


CASES: dict[str, Case] = {
    "feed": _feed,
    "survey_file": _survey_file,
    "reddit": _reddit,
    "discourse": _discourse,
    "hackernews": _hackernews,
    "typeform": _typeform,
}


def test_every_registered_type_has_a_contract_case() -> None:
    assert sorted(CASES) == sorted(REGISTRY)


@contextmanager
def _connector(kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Connector]]:
    with ExitStack() as stack:
        raw = CASES[kind](stack, monkeypatch)
        cls = REGISTRY[kind]
        config = cls.Config.model_validate(raw)
        context = ConnectorContext(source_name=f"contract-{kind}", base_dir=HERE)
        yield lambda: cls(config, context)


def _drain(connector: Connector, cursor: Any) -> tuple[list[RawItem], Any, list[Batch]]:
    batches = list(connector.fetch(cursor))
    items = [item for batch in batches for item in batch.items]
    return items, (batches[-1].cursor if batches else cursor), batches


@pytest.mark.parametrize("kind", sorted(CASES))
def test_config_rejects_unknown_keys(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with ExitStack() as stack:
        raw = CASES[kind](stack, monkeypatch)
    with pytest.raises(ValidationError):
        REGISTRY[kind].Config.model_validate({**raw, "no_such_key": 1})


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fetch_resume_and_cursor_contract(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _connector(kind, monkeypatch) as make:
        make().check()
        items, cursor, batches = _drain(make(), None)
        assert batches and items, f"{kind}: the first fetch yielded nothing"
        assert all(isinstance(b, Batch) and isinstance(b.items, tuple) for b in batches)
        ids = [item.external_id for item in items]
        assert len(ids) == len(set(ids)), f"{kind}: duplicate ids in one run"
        assert all(isinstance(item, RawItem) and item.text.strip() for item in items)
        for batch in batches:  # every intermediate cursor survives storage as JSON
            assert json.loads(json.dumps(batch.cursor)) == batch.cursor
            assert isinstance(batch.rejected, tuple)
        stored = json.loads(json.dumps(cursor))
        again, _, _ = _drain(make(), stored)  # a new instance = a restarted daemon
        assert [item.external_id for item in again] == [], f"{kind}: re-run repeated items"
        # Resuming from a cursor stored mid-way yields exactly the rest: no gap, no duplicate.
        if len(batches) > 1:
            first = json.loads(json.dumps(batches[0].cursor))
            rest, _, _ = _drain(make(), first)
            expected = [item.external_id for b in batches[1:] for item in b.items]
            assert sorted(i.external_id for i in rest) == sorted(expected)
