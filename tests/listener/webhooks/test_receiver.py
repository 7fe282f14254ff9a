"""Webhooks over real HTTP, on SQLite and PostgreSQL: signed, capped, stored once, counted."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from listener.errors import ConfigError
from listener.privacy.keys import Pseudonymiser
from listener.store.db import Store
from listener.store.models import ItemRow, SourceRow
from listener.store.webhooks import route_status
from listener.webhooks.config import WebhooksConfig, name_clashes
from listener.webhooks.events import hex_signature
from listener.webhooks.receiver import Receiver
from listener.webhooks.server import WebhookServer
from tests.listener.webhooks.helpers import (
    HARDEST,
    SECRET,
    post,
    signed_generic,
    signed_typeform,
    typeform_event,
)

REPO = Path(__file__).resolve().parents[3]
ROUTES: list[dict[str, Any]] = [
    {
        "name": "pulse-hook",
        "type": "typeform",
        "secret_env": "PULSE_WEBHOOK_SECRET",
        "segment": {"channel": "survey"},
        "segment_values": {"company_size": {"11-50 employees": "11-50"}},
    },
    {
        "name": "in-app",
        "type": "generic",
        "path": "/hooks/feedback",
        "secret_env": "APP_WEBHOOK_SECRET",
        "text_path": "feedback.text",
        "id_path": "feedback.id",
        "time_path": "feedback.created_at",
        "title_path": "feedback.question",
        "segment_paths": {"plan": "account.plan"},
        "prompt": "pain",
    },
]
ENV = {"PULSE_WEBHOOK_SECRET": SECRET, "APP_WEBHOOK_SECRET": SECRET}
TEST_PSEUDONYMS = Pseudonymiser(b"receiver-test-author-key")


@pytest.fixture
def served(store: Store) -> Iterator[tuple[WebhookServer, Receiver]]:
    config = WebhooksConfig.model_validate({"routes": ROUTES, "max_body_bytes": 4096})
    receiver = Receiver(config, store, TEST_PSEUDONYMS, environ=ENV)
    server = WebhookServer(receiver).start()
    yield server, receiver
    server.stop()


def items(store: Store, source: str) -> list[ItemRow]:
    with store.session() as session:
        return list(
            session.scalars(
                select(ItemRow)
                .join(SourceRow, SourceRow.id == ItemRow.source_id)
                .where(SourceRow.name == source)
                .order_by(ItemRow.id)
            )
        )


def counters(store: Store) -> dict[str, dict[str, Any]]:
    with store.session() as session:
        return {r["name"]: r for r in route_status(session)}


def test_a_signed_typeform_event_is_stored_once_when_delivered_twice(
    served: tuple[WebhookServer, Receiver], store: Store
) -> None:
    server, _ = served
    body, headers = signed_typeform(
        typeform_event("tok7", "Chasing invoices.", size="11-50 employees")
    )
    assert post(server.port, "/webhooks/pulse-hook", body, headers) == (
        200,
        {"status": "stored", "added": 1, "updated": 0, "rejected": 0},
    )
    assert post(server.port, "/webhooks/pulse-hook", body, headers)[1]["status"] == "duplicate"
    [item] = items(store, "pulse-hook")
    assert (item.external_id, item.text, item.title) == (
        "Lz4Q9xkP:tok7:hardest",
        "Chasing invoices.",
        HARDEST,
    )
    assert item.segment == {"channel": "survey", "industry": "retail", "company_size": "11-50"}
    assert item.survey == {
        "survey": "Invoicing pulse survey",
        "question": HARDEST,
        "question_id": "hardest",
        "response_id": "tok7",
    }
    assert item.processed_key is None  # left to the normal pipeline
    c = counters(store)["pulse-hook"]
    assert (c["deliveries"], c["stored"], c["duplicates"], c["rejections"]) == (2, 1, 1, 0)
    assert c["last_delivery_at"] is not None


def test_bad_or_missing_signatures_get_401_and_store_nothing(
    served: tuple[WebhookServer, Receiver], store: Store
) -> None:
    server, _ = served
    body, _ = signed_typeform(typeform_event("tok8", "Forged."))
    _, wrong = signed_typeform(typeform_event("tok8", "Forged."), secret="not-the-secret")
    assert post(server.port, "/webhooks/pulse-hook", body, wrong) == (
        401,
        {"error": "invalid signature"},
    )
    status, data = post(server.port, "/webhooks/pulse-hook", body)
    assert (status, data["error"]) == (401, "missing Typeform-Signature header")
    tampered, headers = signed_typeform(typeform_event("tok8", "Genuine."))
    tampered = tampered.replace(b"Genuine.", b"Tampered")
    assert post(server.port, "/webhooks/pulse-hook", tampered, headers)[0] == 401
    assert items(store, "pulse-hook") == []
    c = counters(store)["pulse-hook"]
    assert (c["deliveries"], c["rejections"]) == (0, 3)
    assert c["last_rejection"] == "401 invalid signature"
    assert SECRET not in json.dumps(c)


def test_a_body_over_the_cap_gets_413_unread(
    served: tuple[WebhookServer, Receiver], store: Store
) -> None:
    server, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("POST", "/webhooks/pulse-hook")
    conn.putheader("Content-Length", str(50_000_000))
    conn.endheaders()
    conn.send(b"{" * 1000)  # the rest never comes: the answer must not wait for it
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    body, headers = signed_typeform(typeform_event("tok9", "x" * 5000))
    assert post(server.port, "/webhooks/pulse-hook", body, headers)[0] == 413
    assert items(store, "pulse-hook") == []
    assert counters(store)["pulse-hook"]["rejections"] == 2


def test_generic_json_with_paths_and_a_hex_signature(
    served: tuple[WebhookServer, Receiver], store: Store
) -> None:
    server, _ = served
    event = {
        "feedback": {
            "id": "fb-1001",
            "text": "Exporting to my accountant fails every month.",
            "created_at": "2026-11-20T10:00:02Z",
            "question": "What almost made you cancel?",
        },
        "account": {"plan": "pro"},
    }
    body, headers = signed_generic(event)
    assert post(server.port, "/hooks/feedback", body, headers)[1]["status"] == "stored"
    body2, bare = signed_generic(event, bare=True)  # a bare hex digest is accepted too
    assert post(server.port, "/hooks/feedback", body2, bare)[1]["status"] == "duplicate"
    [item] = items(store, "in-app")
    assert (item.external_id, item.prompt, item.kind) == ("fb-1001", "pain", "response")
    assert item.segment == {"plan": "pro"} and item.created_at is not None
    assert item.survey == {
        "survey": "in-app",
        "question": "What almost made you cancel?",
        "question_id": "feedback.text",
        "response_id": "fb-1001",
    }
    no_id, headers = signed_generic({"feedback": {"text": "No id here."}})
    assert post(server.port, "/hooks/feedback", no_id, headers) == (
        422,
        {"error": "no id at feedback.id"},
    )
    not_json = b"text=hello"
    signature = {"X-Signature-256": hex_signature(SECRET, not_json)}
    assert post(server.port, "/hooks/feedback", not_json, signature) == (
        400,
        {"error": "body is not JSON"},
    )
    assert len(items(store, "in-app")) == 1
    assert counters(store)["in-app"]["rejections"] == 2


def test_unknown_paths_and_methods(served: tuple[WebhookServer, Receiver]) -> None:
    server, _ = served
    status, data = post(server.port, "/webhooks/nope", b"{}")
    assert status == 404 and data["routes"] == ["/hooks/feedback", "/webhooks/pulse-hook"]
    assert post(server.port, "/webhooks/pulse-hook", b"", method="GET")[0] == 405


def test_concurrent_deliveries_of_one_event_store_it_once(
    served: tuple[WebhookServer, Receiver], store: Store
) -> None:
    server, _ = served
    body, headers = signed_typeform(typeform_event("tok-race", "Sent eight times at once."))
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                post(server.port, "/webhooks/pulse-hook", body, headers)[0]
            )
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert len(items(store, "pulse-hook")) == 1
    c = counters(store)["pulse-hook"]
    assert (c["deliveries"], c["stored"], c["duplicates"]) == (8, 1, 7)


def test_a_missing_secret_is_a_config_error(store: Store) -> None:
    config = WebhooksConfig.model_validate({"routes": ROUTES})
    with pytest.raises(ConfigError) as exc:
        Receiver(config, store, TEST_PSEUDONYMS, environ={"PULSE_WEBHOOK_SECRET": SECRET})
    assert exc.value.problems == [
        "webhooks.routes[1] (in-app): environment variable APP_WEBHOOK_SECRET is not set"
    ]


def test_config_is_checked() -> None:
    from pydantic import ValidationError

    for bad in (
        {"routes": []},
        {"routes": [ROUTES[0], ROUTES[0]]},
        {"routes": [{**ROUTES[1], "text_path": "feedback text"}]},
        {"routes": [{**ROUTES[0], "type": "surveymonkey"}]},
        {"routes": [{**ROUTES[0], "path": "webhooks/x"}]},
        {"routes": ROUTES, "max_body_bytes": 10},
    ):
        with pytest.raises(ValidationError):
            WebhooksConfig.model_validate(bad)
    config = WebhooksConfig.model_validate({"routes": ROUTES})
    assert name_clashes(config, ["nps-q4", "in-app"]) == [
        "webhooks.routes[1].name: 'in-app' is also a source's name; items of both would mix"
    ]


def test_kill_9_right_after_a_200_loses_nothing(store: Store, store_url: str) -> None:
    """The receiver in its own process: every delivery answered 200 is in the database after
    the process is killed without any chance to clean up."""
    env = {**os.environ, **ENV}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.listener.webhooks.serve_receiver",
            store_url,
            json.dumps(ROUTES),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        answered = []
        for n in range(20):
            body, headers = signed_typeform(
                typeform_event(f"kill{n:02d}", f"Answer {n} before the kill.")
            )
            status, _ = post(port, "/webhooks/pulse-hook", body, headers)
            answered.append(status)
        os.kill(process.pid, signal.SIGKILL)  # right after the last 200
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    assert answered == [200] * 20
    fresh = Store(store_url)  # a new connection, as after a restart
    try:
        with fresh.session() as session:
            stored = session.scalar(select(func.count()).select_from(ItemRow))
        assert stored == 20
    finally:
        fresh.dispose()


def test_pushed_answers_are_masked_and_keyed_before_storage(
    served: tuple[WebhookServer, Receiver], store: Store
) -> None:
    server, _ = served
    event = {
        "feedback": {
            "id": "jo@example.org",
            "text": "Invoices bounce; write to jo@example.org or call +44 20 7946 0958.",
            "question": "What almost made you cancel?",
        },
        "account": {"plan": "jo@example.org"},
    }
    body, headers = signed_generic(event)
    assert post(server.port, "/hooks/feedback", body, headers)[1]["status"] == "stored"
    [item] = items(store, "in-app")
    stored = json.dumps([item.external_id, item.text, item.segment, item.survey, item.author_hash])
    assert "jo@example.org" not in stored and "7946" not in stored
    assert item.text == "Invoices bounce; write to [e-mail] or call [phone]."
    assert item.author_hash == TEST_PSEUDONYMS.stored_author("response:in-app:jo@example.org")
