"""One message to one sink once, on real SQLite and PostgreSQL: claims, leases, crashes, retries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from listener.delivery import claims
from listener.delivery.claims import Claim
from listener.delivery.deliver import deliver
from listener.delivery.errors import MaybeSent, NotSent
from listener.store.db import Store
from listener.store.models import DeliveryRow

LEASE = timedelta(seconds=30)


class Sender:
    """A send function that records what it was asked to send."""

    def __init__(self, fail: list[Exception] | None = None, hold: float = 0.0) -> None:
        self.calls: list[str | None] = []
        self.fail = list(fail or [])
        self.hold = hold

    def __call__(self, held: Claim, handing_over: Callable[[], None]) -> str:
        if self.fail:
            raise self.fail.pop(0)
        handing_over()
        time.sleep(self.hold)
        self.calls.append(held.message_id)
        return f"sent as {held.message_id}"


def _row(store: Store) -> DeliveryRow:
    with store.session() as session:
        return session.query(DeliveryRow).one()


def test_sent_once_then_already_sent(store: Store) -> None:
    send = Sender()
    first = deliver(store, "digest", "2026-W47", "email", send, message_id="<a@x>", lease=LEASE)
    again = deliver(store, "digest", "2026-W47", "email", send, message_id="<b@x>", lease=LEASE)
    assert (first.status, again.status) == ("sent", "already-sent")
    assert send.calls == ["<a@x>"]
    assert _row(store).status == "sent" and _row(store).location == "sent as <a@x>"


def test_two_processes_racing_send_once(store: Store) -> None:
    send = Sender(hold=0.5)
    other = Store(store.engine.url.render_as_string(hide_password=False))  # its own engine
    results = []

    def run(target: Store) -> None:
        results.append(deliver(target, "alert", "k1", "webhook:slack", send, lease=LEASE).status)

    threads = [threading.Thread(target=run, args=(s,)) for s in (store, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    assert sorted(results) == ["busy", "sent"]
    assert len(send.calls) == 1


def test_a_crash_before_hand_over_is_retried_with_the_same_message_id(store: Store) -> None:
    now = datetime.now(UTC)
    claims.ensure(store, "digest", "2026-W47", "email", now, "<same@x>")
    held = claims.claim(store, "digest", "2026-W47", "email", now, LEASE)
    assert held is not None  # ... and the process dies here, holding the claim
    send = Sender()
    busy = deliver(store, "digest", "2026-W47", "email", send, lease=LEASE)
    assert busy.status == "busy" and not send.calls  # the lease still runs
    later = lambda: now + LEASE + timedelta(seconds=1)  # noqa: E731
    taken_over = deliver(store, "digest", "2026-W47", "email", send, now=later, lease=LEASE)
    assert taken_over.status == "sent" and send.calls == ["<same@x>"]
    assert _row(store).attempts == 2


def test_a_crash_during_hand_over_is_uncertain_and_never_resent(store: Store) -> None:
    now = datetime.now(UTC)
    claims.ensure(store, "alert", "k2", "email", now, "<m@x>")
    held = claims.claim(store, "alert", "k2", "email", now, LEASE)
    assert held is not None
    claims.handing_over(store, held, now, LEASE)  # ... the DATA command went out; then kill -9
    send = Sender()
    later = lambda: now + LEASE + timedelta(seconds=1)  # noqa: E731
    outcome = deliver(store, "alert", "k2", "email", send, now=later, lease=LEASE)
    assert outcome.status == "uncertain" and not send.calls
    assert "may have arrived" in (_row(store).error or "")
    forced = deliver(store, "alert", "k2", "email", send, now=later, lease=LEASE, force=True)
    assert forced.status == "sent" and send.calls == ["<m@x>"]  # a person decided to resend


def test_failures_before_hand_over_are_retried_and_permanent_ones_are_not(store: Store) -> None:
    sleeps: list[float] = []
    flaky = Sender(fail=[NotSent("connection refused")])
    outcome = deliver(store, "alert", "k3", "webhook:a", flaky, lease=LEASE, sleep=sleeps.append)
    assert outcome.status == "sent" and len(flaky.calls) == 1 and sleeps == [2.0]

    down = Sender(fail=[NotSent("down")] * 3)
    outcome = deliver(store, "alert", "k4", "webhook:a", down, lease=LEASE, sleep=sleeps.append)
    assert outcome.status == "pending" and not down.calls
    with store.session() as session:
        row = session.query(DeliveryRow).filter_by(subject="k4").one()
        assert row.next_attempt_at is not None and row.next_attempt_at > datetime.now(UTC)

    refused = Sender(fail=[NotSent("HTTP 404", permanent=True)])
    outcome = deliver(store, "alert", "k5", "webhook:a", refused, lease=LEASE, sleep=sleeps.append)
    assert outcome.status == "failed" and "404" in (outcome.error or "")


def test_a_long_retry_after_is_waited_out_between_runs(store: Store) -> None:
    sleeps: list[float] = []
    slow = Sender(fail=[NotSent("HTTP 429", retry_after=3600)])
    outcome = deliver(store, "alert", "k6", "webhook:a", slow, lease=LEASE, sleep=sleeps.append)
    assert outcome.status == "pending" and sleeps == []
    with store.session() as session:
        row = session.query(DeliveryRow).filter_by(subject="k6").one()
        assert row.next_attempt_at is not None
        assert row.next_attempt_at - datetime.now(UTC) > timedelta(minutes=55)


def test_a_broken_hand_over_is_uncertain(store: Store) -> None:
    def breaks(held: Claim, handing_over: Callable[[], None]) -> str:
        handing_over()
        raise MaybeSent("connection reset during DATA")

    outcome = deliver(store, "digest", "2026-W48", "email", breaks, lease=LEASE)
    assert outcome.status == "uncertain"


@pytest.mark.parametrize("status", ["sent", "uncertain"])
def test_force_takes_a_finished_claim(store: Store, status: str) -> None:
    now = datetime.now(UTC)
    claims.ensure(store, "digest", "2026-W49", "outbox", now, None)
    held = claims.claim(store, "digest", "2026-W49", "outbox", now, LEASE)
    assert held is not None
    claims.finish(store, held, status, now)
    assert claims.claim(store, "digest", "2026-W49", "outbox", now, LEASE) is None
    assert claims.claim(store, "digest", "2026-W49", "outbox", now, LEASE, force=True) is not None
