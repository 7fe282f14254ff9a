"""kill -9 at the worst moment: after the far side has the message, before the sender heard back.

Such a send may have arrived, so it must never be repeated on its own: the restarted process
finds the claim (still leased, or expired during hand-over: uncertain) and leaves it to a
person. A digest week missed while the daemon was down is sent once when it is back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.listener.alerts.servers import smtp_server, webhook_server
from tests.listener.alerts.survey_weeks import AS_OF, REPORTED_WEEK
from tests.listener.alerts.test_end_to_end import SECRET, listener, write_workspace
from tests.listener.helpers import copy_example

LEASE_SECONDS = 2


def _start(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "ALERT_HOOK_SECRET": SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "listener", "--log-level", "warning", "run", "--once",
         "--as-of", AS_OF, "-c", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=config.parent,
    )  # fmt: skip


def _kill_when(event_set: object, process: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not event_set.is_set():  # type: ignore[attr-defined]
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the message never arrived"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _deliveries(config: Path) -> list[dict]:  # type: ignore[type-arg]
    result = listener(config, "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["deliveries"]  # type: ignore[no-any-return]


@pytest.mark.slow
def test_kill_9_after_the_smtp_server_accepted_the_digest_never_sends_it_twice(
    tmp_path: Path,
) -> None:
    with smtp_server() as (port, inbox):
        config = write_workspace(tmp_path, port, None, lease=f"{LEASE_SECONDS}s", email=False)
        inbox.hold.set()
        _kill_when(inbox.received, _start(config))
        inbox.release.set()  # the server answers 250 to a sender that is gone
        assert len(inbox.messages) == 1
        time.sleep(LEASE_SECONDS + 0.5)
        again = listener(config, "run", "--once", "--as-of", AS_OF)
        assert again.returncode == 0, again.stderr
        assert "connection broke while handing it over" in again.stdout
        assert len(inbox.messages) == 1
        uncertain = [d for d in _deliveries(config) if d["status"] == "uncertain"]
        assert [(d["channel"], d["subject"], d["sink"]) for d in uncertain] == [
            ("digest", REPORTED_WEEK, "email")
        ]
        resend = listener(config, "digest", "--week", REPORTED_WEEK, "--force")  # a person's call
        assert resend.returncode == 0, resend.stderr
        assert len(inbox.messages) == 2


@pytest.mark.slow
def test_kill_9_after_the_webhook_got_an_alert_never_posts_it_twice(tmp_path: Path) -> None:
    with smtp_server() as (port, inbox), webhook_server() as hook:
        config = write_workspace(tmp_path, port, hook.url, lease=f"{LEASE_SECONDS}s", email=False)
        hook.hold.set()
        _kill_when(hook.received, _start(config))
        hook.release.set()
        first = hook.posts[0][0]["X-Listener-Delivery"]
        time.sleep(LEASE_SECONDS + 0.5)
        again = listener(config, "run", "--once", "--as-of", AS_OF)
        assert again.returncode == 0, again.stderr
        keys = [headers["X-Listener-Delivery"] for headers, _ in hook.posts]
        assert keys.count(first) == 1 and len(keys) == len(set(keys))
        alerts = json.loads(listener(config, "alerts", "--json", "--week", REPORTED_WEEK).stdout)
        assert len(keys) == len(alerts["alerts"])  # every other alert went out, once
        uncertain = [d["subject"] for d in _deliveries(config) if d["status"] == "uncertain"]
        assert uncertain == [first]
        assert len(inbox.messages) == 1  # the digest


def test_a_digest_week_missed_while_down_is_sent_once(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    outbox = tmp_path / "outbox"
    first = listener(config, "run", "--once", "--as-of", "2026-11-23T12:00")
    assert first.returncode == 0, first.stderr
    assert "digest 2026-W47 written" in first.stdout
    # Down over the next Monday (the W48 digest's moment); back on Tuesday of W49:
    back = listener(config, "run", "--once", "--as-of", "2026-12-01T09:00")
    assert back.returncode == 0, back.stderr
    assert "digest 2026-W48 written" in back.stdout and "alerts: 0 for 2026-W48" in back.stdout
    again = listener(config, "run", "--once", "--as-of", "2026-12-01T15:00")
    assert "digest for 2026-W48 already written" in again.stdout
    assert sorted(p.name for p in outbox.glob("digest-*.eml")) == [
        "digest-2026-W47.eml",
        "digest-2026-W48.eml",
    ]
    week48 = (outbox / "digest-2026-W48.html").read_text(encoding="utf-8")
    assert "No data this week" in week48  # the example data ends in W47: said, not "fading"
    assert "figures incomplete" not in week48  # said once at the top, not on every line
