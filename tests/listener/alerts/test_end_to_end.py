"""Fourteen weeks of survey answers through real processes: alerts, the digest, the webhook.

`listener run --once` runs as its own process against a real SMTP server (aiosmtpd) and a
loopback webhook receiver; `listener alerts --json` is read as a script would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.listener.alerts.servers import Hook, Inbox, smtp_server, webhook_server
from tests.listener.alerts.survey_weeks import AS_OF, REPORTED_WEEK, config_text, write_survey

REPO = Path(__file__).resolve().parents[3]
PERSONAS = REPO / "tests" / "fixtures" / "drift_personas.yaml"
SECRET = "hook-signing-secret-0042"
STEADY = {"vat-returns", "bank-feed", "security-review", "mobile-receipts"}
ALERT_KEYS = {
    "key", "kind", "persona", "attribute", "theme", "segment", "week", "count", "authors",
    "baseline", "ratio", "p_value", "q_value", "quotes", "delivered",
}  # fmt: skip


def listener(config: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALERT_HOOK_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "listener", "--log-json", "--log-level", "warning", *args,
         "-c", str(config)],
        capture_output=True, text=True, env=env, timeout=timeout, cwd=config.parent,
    )  # fmt: skip


def write_workspace(
    tmp_path: Path, smtp_port: int, hook_url: str | None, lease: str = "5m", email: bool = True
) -> Path:
    survey = tmp_path / "pulse.csv"
    write_survey(survey)
    sinks = "  email: [alerts@example.com]\n" if email else "  email: []\n"
    if hook_url:
        sinks += (
            f"  webhooks:\n    - {{name: hook, url: '{hook_url}', secret_env: ALERT_HOOK_SECRET, "
            "format: json}\n"
        )
    extra = (
        f"smtp: {{host: 127.0.0.1, port: {smtp_port}, starttls: false, "
        f"from: listener@example.com, timeout: 10}}\n"
        f"delivery: {{lease: {lease}}}\n"
        f"alerts:\n{sinks}"
    )
    config = tmp_path / "listener.yaml"
    config.write_text(config_text(survey, PERSONAS, extra), encoding="utf-8")
    return config


def _alerts(config: Path) -> dict:  # type: ignore[type-arg]
    result = listener(config, "alerts", "--json", "--week", REPORTED_WEEK)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _digests(inbox: Inbox) -> list:  # type: ignore[type-arg]
    return [m for m in inbox.parsed() if str(m["Subject"]).startswith("Listener 20")]


@pytest.mark.slow
def test_five_changes_are_found_alerted_once_and_told_in_the_digest(tmp_path: Path) -> None:
    with smtp_server() as (port, inbox), webhook_server() as hook:
        config = write_workspace(tmp_path, port, hook.url)
        run = listener(config, "run", "--once", "--as-of", AS_OF)
        assert run.returncode == 0, run.stderr
        data = _alerts(config)
        assert data["week"] == REPORTED_WEEK
        alerts = data["alerts"]
        assert all(set(a) == ALERT_KEYS for a in alerts)
        found = {(a["persona"], a["attribute"] or a["theme"], a["kind"]) for a in alerts}
        assert ("owner", "late-payments", "rising") in found
        assert {k for p, a, k in found if a == "cash-flow"} <= {"trend_up", "rising"}
        assert {k for p, a, k in found if a == "manual-invoicing"} <= {"fading", "trend_down"}
        assert {k for p, a, k in found if a == "sso"} <= {"trend_up", "rising"}
        assert {a for _, a, _ in found} >= {"cash-flow", "manual-invoicing", "sso"}
        emerging = [a for a in alerts if a["kind"] == "emerging"]
        # The NLP also reads "Single sign-on is a must for our IT team." as a wish; the negative
        # persona's "Requires single sign-on" covers that sentence, so it is no new theme.
        themes = [a["theme"] for a in emerging]
        assert len(themes) == 1 and "mobile app" in themes[0]
        assert all(a["persona"] is None and a["attribute"] is None for a in emerging)
        assert not STEADY & {a["attribute"] for a in alerts}
        spike = next(a for a in alerts if a["attribute"] == "late-payments")
        assert spike["authors"] == 18 and spike["ratio"] > 2 and spike["q_value"] <= 0.2
        assert all(a["quotes"] and a["delivered"] == ["email", "webhook:hook"] for a in alerts)
        listed = listener(config, "alerts", "--week", REPORTED_WEEK)  # as a person reads it
        lines = [line for line in listed.stdout.splitlines() if line.startswith("- [")]
        assert len(lines) == len(alerts)
        assert all(line.endswith("(email, webhook:hook)") for line in lines)

        digests = _digests(inbox)
        assert len(digests) == 1
        digest = digests[0]
        assert digest.get_content_type() == "multipart/alternative"
        assert digest["Subject"].startswith(f"Listener {REPORTED_WEEK}: ")
        text = next(p for p in digest.walk() if p.get_content_type() == "text/plain")
        body = text.get_content()
        for alert in alerts:
            assert f"{alert['authors']} people" in body
        assert "Chasing late payments" in body and "mobile app" in body
        assert "NEGATIVE PERSONA" in body and "Requires single sign-on" in body

        alert_mails = [s for s in inbox.subjects() if s.startswith("Listener alert: ")]
        assert len(alert_mails) == len(alerts)
        _assert_each_alert_posted_once(hook, alerts)

        again = listener(config, "run", "--once", "--as-of", AS_OF)
        assert again.returncode == 0, again.stderr
        assert f"digest for {REPORTED_WEEK} already sent" in again.stdout
        assert len(inbox.messages) == 1 + len(alerts)  # nothing sent twice
        _assert_each_alert_posted_once(hook, alerts)


def _assert_each_alert_posted_once(hook: Hook, alerts: list) -> None:  # type: ignore[type-arg]
    keys = Counter(headers["X-Listener-Delivery"] for headers, _ in hook.posts)
    assert keys == Counter({a["key"]: 1 for a in alerts})
    for headers, body in hook.posts:
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Listener-Signature-256"] == signature
        payload = json.loads(body)
        assert payload["alert"]["key"] == headers["X-Listener-Delivery"] and payload["text"]
