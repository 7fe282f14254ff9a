"""typeform: the Responses API through a loopback fake speaking its documented JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import Batch, ConnectorContext, ConnectorError, RawItem
from connectors.registry import REGISTRY
from connectors.typeform import TypeformConnector
from tests.connectors.typeform_fake import HARDEST, TOKEN, WISH, FakeTypeform, nps_fake

FORM = "Lz4Q9xkP"
RESPONSES = f"/forms/{FORM}/responses"


@pytest.fixture
def fake() -> Iterator[FakeTypeform]:
    server = nps_fake(5).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TYPEFORM_TOKEN", TOKEN)


def make(fake: FakeTypeform, sleeps: list[float] | None = None, **config: Any) -> TypeformConnector:
    raw = {"forms": [FORM], "api_url": fake.url, "allow_private_networks": True, **config}
    context = ConnectorContext(
        "pulse", sleep=(sleeps.append if sleeps is not None else lambda s: None)
    )
    return TypeformConnector(TypeformConnector.Config.model_validate(raw), context)


def drain(conn: TypeformConnector, cursor: Any = None) -> tuple[list[RawItem], list[Batch]]:
    batches = list(conn.fetch(cursor))
    return [i for b in batches for i in b.items], batches


def test_registered() -> None:
    assert REGISTRY["typeform"] is TypeformConnector


def test_answers_by_ref_with_the_question_and_segments(fake: FakeTypeform) -> None:
    conn = make(fake, segment_values={"company_size": {"11-50 employees": "11-50"}})
    conn.check()
    items, _ = drain(conn)
    ids = [i.external_id for i in items]
    assert ids == [
        f"{FORM}:tok0004:hardest",
        f"{FORM}:tok0003:hardest",
        f"{FORM}:tok0003:wish",
        f"{FORM}:tok0002:hardest",
        f"{FORM}:tok0001:hardest",
        f"{FORM}:tok0000:hardest",
        f"{FORM}:tok0000:wish",
    ]
    first = items[0]
    assert first.text == "Response 4: chasing invoice number 4 took all of Friday."
    assert first.title == HARDEST and first.kind == "response"
    assert first.created_at == datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    assert first.segment == {"industry": "agency", "company_size": "1-10 employees"}
    assert items[1].segment == {"industry": "retail", "company_size": "11-50"}  # value map
    assert items[2].title == WISH and items[2].text == "Automatic reminders for invoice 3."
    assert first.survey is not None
    assert first.survey.as_dict() == {
        "survey": "Invoicing pulse survey",
        "question": HARDEST,
        "question_id": "hardest",
        "response_id": "tok0004",
    }
    assert all("Person" not in i.text for i in items)  # short text (a name) is not read
    request = fake.requests[-1]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.query["page_size"] == ["1000"]


def test_a_renamed_question_keeps_its_items(fake: FakeTypeform) -> None:
    items, _ = drain(make(fake))
    fake.forms[FORM]["fields"][0]["properties"]["fields"][0]["title"] = "Your hardest moment?"
    again, _ = drain(make(fake))
    assert [i.external_id for i in again] == [i.external_id for i in items]
    assert again[0].title == "Your hardest moment?"


def test_two_pages_a_restart_in_between_no_gap_no_duplicate(fake: FakeTypeform) -> None:
    conn = make(fake, page_size=2)
    batches = conn.fetch(None)
    first = next(batches)
    batches.close()  # the daemon stopped after storing the first page
    assert [i.external_id.split(":")[1] for i in first.items] == ["tok0004", "tok0003", "tok0003"]
    stored = json.loads(json.dumps(first.cursor))
    assert stored["forms"][FORM]["walk"]["before"] == "tok0003"

    restarted = make(fake, page_size=2)  # a new process, the stored cursor
    rest, later = drain(restarted, stored)
    assert [i.external_id.split(":")[1] for i in rest] == [
        "tok0002",
        "tok0001",
        "tok0000",
        "tok0000",
    ]
    assert fake.requests[-2].query["before"] == ["tok0003"]
    seen = [i.external_id for i in first.items] + [i.external_id for i in rest]
    assert len(seen) == len(set(seen)) == 7

    cursor = json.loads(json.dumps(later[-1].cursor))
    assert cursor["forms"][FORM]["walk"] is None
    assert drain(make(fake, page_size=2), cursor)[0] == []  # nothing new: nothing again
    since = fake.requests[-1].query["since"][0]
    assert since == "2026-10-05T08:00:00"  # the newest response minus the look-back hour

    # a new response, and one that reached the API late (submitted before the newest)
    fake.add_response(FORM, "tok0100", datetime(2026, 10, 6, 9, 0, tzinfo=UTC), {"hardest": "New."})
    fake.add_response(
        FORM, "tok0099", datetime(2026, 10, 5, 8, 30, tzinfo=UTC), {"hardest": "Late."}
    )
    new, _ = drain(make(fake, page_size=2), cursor)
    assert [i.text for i in new] == ["New.", "Late."]


def test_429_is_honoured(fake: FakeTypeform) -> None:
    sleeps: list[float] = []
    fake.fail_next(429, headers={"Retry-After": "7"}, path_prefix=RESPONSES)
    items, _ = drain(make(fake, sleeps))
    assert sleeps == [7.0]
    assert len(items) == 7
    assert [r.path for r in fake.requests].count(RESPONSES) == 2


def test_429_beyond_the_retries_tells_the_daemon_when_to_come_back(fake: FakeTypeform) -> None:
    fake.fail_next(429, times=10, headers={"Retry-After": "120"}, path_prefix=RESPONSES)
    with pytest.raises(ConnectorError) as exc:
        drain(make(fake, []))
    assert exc.value.retry_after == 120.0 and not exc.value.permanent
    assert "'Invoicing pulse survey' (Lz4Q9xkP)" in exc.value.message


def test_bad_token_is_permanent_and_never_shown(
    fake: FakeTypeform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TYPEFORM_TOKEN", "tfp_wrong_secret_value")
    with pytest.raises(ConnectorError) as exc:
        make(fake).check()
    assert exc.value.permanent
    assert exc.value.message == "Typeform refused the token for form 'Lz4Q9xkP' (HTTP 401)"
    assert "TYPEFORM_TOKEN" in (exc.value.hint or "")
    assert "tfp_wrong_secret_value" not in str(exc.value)


def test_missing_token_variable_is_named(
    fake: FakeTypeform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TYPEFORM_TOKEN")
    with pytest.raises(ConnectorError, match="environment variable TYPEFORM_TOKEN is not set"):
        drain(make(fake))
    monkeypatch.setenv("TF_OTHER", TOKEN)
    assert len(drain(make(fake, token_env="TF_OTHER"))[0]) == 7


def test_forbidden_and_missing_forms_are_named_and_do_not_stop_the_others(
    fake: FakeTypeform,
) -> None:
    fake.add_form("Secret01", "HR survey", [])
    fake.forbidden.add("Secret01")
    conn = make(fake, forms=["Gone0001", FORM, "Secret01"])
    batches: list[Batch] = []
    with pytest.raises(ConnectorError) as exc:
        for batch in conn.fetch(None):
            batches.append(batch)
    assert sum(len(b.items) for b in batches) == 7
    assert exc.value.partial
    assert "Typeform form 'Gone0001' does not exist (HTTP 404)" in exc.value.message
    assert "the token may not read Typeform form 'Secret01' (HTTP 403)" in exc.value.message


def test_partial_responses_are_skipped_unless_configured(fake: FakeTypeform) -> None:
    fake.add_response(
        FORM, "part01", datetime(2026, 10, 9, tzinfo=UTC), {"hardest": "Half"}, partial=True
    )
    assert "Half" not in [i.text for i in drain(make(fake))[0]]
    with_partial = drain(make(fake, include_partial=True))[0]
    assert "Half" in [i.text for i in with_partial]
    assert fake.requests[-1].query["response_type"] == ["partial,completed"]


def test_text_fields_and_segment_fields_by_ref(fake: FakeTypeform) -> None:
    conn = make(
        fake, text_fields=["wish"], segment_fields={"utm_source": "channel", "nps": "score"}
    )
    items, _ = drain(conn)
    assert [i.text for i in items] == [
        "Automatic reminders for invoice 3.",
        "Automatic reminders for invoice 0.",
    ]
    assert items[0].segment == {"channel": "newsletter", "score": "3"}
    described = make(fake).describe()
    assert described["forms"][0]["text_fields"] == [
        {"ref": "hardest", "question": HARDEST},
        {"ref": "wish", "question": WISH},
    ]
    assert described["forms"][0]["segment_fields"] == {
        "industry": "industry",
        "company-size": "company_size",
    }


def test_unknown_text_field_lists_the_refs(fake: FakeTypeform) -> None:
    with pytest.raises(ConnectorError) as exc:
        make(fake, text_fields=["hardst"]).check()
    assert "has no field with ref 'hardst'" in exc.value.message
    assert "'hardest' (What is the hardest part" in (exc.value.hint or "")


def test_config_is_checked() -> None:
    for bad in (
        {"forms": []},
        {"forms": ["has space"]},
        {"forms": ["a", "a"]},
        {"forms": ["a"], "page_size": 1001},
        {"forms": ["a"], "api_url": "api.typeform.com"},
    ):
        with pytest.raises(ValidationError):
            TypeformConnector.Config.model_validate(bad)


def test_backfill_days_limits_the_first_run(fake: FakeTypeform) -> None:
    now = datetime.now(UTC)
    fake.add_response(FORM, "recent1", now - timedelta(hours=2), {"hardest": "Yesterday-ish."})
    items, _ = drain(make(fake, backfill_days=1))
    assert [i.text for i in items] == ["Yesterday-ish."]
