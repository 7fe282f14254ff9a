"""Issue 11, finding 5: secrets were printed outside the masked log pipeline.

Every value the config took from the environment is masked, in its base64, URL-encoded and
HTTP Basic forms too, in config errors, the run's stderr, `status`, `status --json`, `check`
and the stored ``last_error``. A token endpoint that echoes the request is the hostile party.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from urllib.parse import quote, quote_plus

from tests.connectors.loopback import LoopbackServer, RecordedRequest, Reply
from tests.listener.hardening.helpers import PERSONAS, run_cli, write_config

CLIENT_ID = "rid-7Hq2xKp9"
SECRET = "s3cr3t/Value+with=chars"
SMTP_SECRET = "SMTPPW-9f8e7d6c"


def _forms(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        value.upper(),
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


LEAKS = [
    *_forms(SECRET),
    *_forms(CLIENT_ID),
    base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode(),
]


def _echo_token_request(request: RecordedRequest) -> Reply:
    """A token endpoint that puts everything it was sent into its error (and more)."""
    auth = request.header("Authorization") or ""
    user, _, secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
    echo = (
        f"invalid_client: got {auth!r}, client {user}, secret {secret}, "
        f"{quote(secret, safe='')}, {quote_plus(secret)}, {base64.b64encode(secret.encode())!r}"
    )
    return Reply(body=json.dumps({"error": echo}), headers={"Content-Type": "application/json"})


def _assert_clean(text: str, where: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{where} shows {leak!r}:\n{text[-3000:]}"


def test_a_token_endpoint_echoing_the_secret_is_masked_everywhere(tmp_path: Path) -> None:
    env = {"LT_REDDIT_ID": CLIENT_ID, "LT_REDDIT_SECRET": SECRET}
    with LoopbackServer({"/api/v1/access_token": _echo_token_request}) as server:
        source = {
            "name": "reddit-smb",
            "type": "reddit",
            "every": "1h",
            "subreddits": ["smallbusiness"],
            "oauth_url": server.base_url,
            "reddit_url": server.base_url,
            "client_id_env": "LT_REDDIT_ID",
            "client_secret_env": "LT_REDDIT_SECRET",
            "allow_private_networks": True,
        }
        config = write_config(tmp_path, [source])
        run = run_cli("--log-json", "run", "--once", "-c", str(config), env=env)
        check = run_cli("check", "-c", str(config), env=env)
        assert server.requests, "the token endpoint was not asked"
    assert run.returncode == 1
    assert "source reddit-smb: failed: " in run.stderr and "Reddit refused" in run.stderr
    assert "***" in run.stderr
    _assert_clean(run.stdout + run.stderr, "run --once")
    assert check.returncode == 2 and "***" in check.stderr
    _assert_clean(check.stdout + check.stderr, "check")
    status = run_cli("status", "-c", str(config), env=env)
    status_json = run_cli("status", "--json", "-c", str(config), env=env)
    assert "Reddit refused the credentials" in status.stdout
    _assert_clean(status.stdout + status.stderr, "status")
    _assert_clean(status_json.stdout, "status --json")
    with sqlite3.connect(tmp_path / "listener.db") as db:
        (stored,) = db.execute(
            "SELECT last_error FROM sources WHERE name = 'reddit-smb'"
        ).fetchone()
    assert "***" in stored
    _assert_clean(stored, "the stored last_error")  # masked before it was stored


def test_config_errors_show_the_reference_not_the_expanded_value(tmp_path: Path) -> None:
    env = {"LT_SMTPPW": SMTP_SECRET}
    config = tmp_path / "listener.yaml"
    config.write_text(
        f"personas: {PERSONAS}\n"
        "log_level: ${LT_SMTPPW}\n"
        "sources:\n"
        "  - {name: s, type: feed, every: '${LT_SMTPPW}', urls: [a.xml]}\n"
        "smtp:\n"
        "  host: smtp.example.com\n"
        "  from: l@example.com\n"
        "  port: ${LT_SMTPPW}\n"
        "  password: ${LT_SMTPPW}\n",
        encoding="utf-8",
    )
    result = run_cli("check", "--no-connect", "-c", str(config), env=env)
    assert result.returncode == 2
    for key in ("log_level", "sources[0].every", "smtp.port", "smtp.password"):
        assert f"{key}: " in result.stderr, key
    assert "'${LT_SMTPPW}'" in result.stderr  # shown as written in the file
    for leak in _forms(SMTP_SECRET):
        assert leak not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_source_error_quoting_a_secret_is_masked_in_status_json(tmp_path: Path) -> None:
    """The health endpoint and `status --json` mask what an older version stored unmasked."""
    source = {"name": "blog", "type": "feed", "every": "1h", "urls": ["${LT_FEED_TOKEN}.xml"]}
    config = write_config(tmp_path, [source])
    env = {"LT_FEED_TOKEN": "feed-token-31337"}
    run = run_cli("run", "--once", "-c", str(config), env=env)
    assert run.returncode == 1
    with sqlite3.connect(tmp_path / "listener.db") as db:
        db.execute("UPDATE sources SET last_error = 'old: feed-token-31337 leaked'")
    status_json = run_cli("status", "--json", "-c", str(config), env=env)
    (blog,) = json.loads(status_json.stdout)["sources"]
    assert blog["last_error"] == "old: *** leaked"
    assert "feed-token-31337" not in run.stderr + status_json.stdout


def test_an_alert_webhook_url_from_the_environment_is_never_echoed(tmp_path: Path) -> None:
    env = {"LT_HOOK": "hooks.chat.example/T000/B000/abcdefghijklmnopqrstuvwxyz"}  # no scheme
    config = tmp_path / "listener.yaml"
    config.write_text(
        f"personas: {PERSONAS}\nsources: []\n"
        "alerts:\n  webhooks:\n    - {name: team, url: '${LT_HOOK}'}\n",
        encoding="utf-8",
    )
    result = run_cli("check", "--no-connect", "-c", str(config), env=env)
    assert result.returncode == 2
    assert "alerts.webhooks[0]: `url` is not an http(s) URL" in result.stderr
    assert "hooks.chat" not in result.stderr  # not even the start of it
