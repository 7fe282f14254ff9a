"""No secret in a log line: values from the environment (*_env, ${...}) are masked everywhere."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from listener.config import load_config
from listener.logging import configure, get_logger
from tests.listener.helpers import copy_example

SMTP_COMMENT = (
    "# smtp: {host: smtp.example.com, port: 587, starttls: true, from: listener@example.com,\n"
    "#        username_env: SMTP_USER, password_env: SMTP_PASSWORD}"
)


def test_secrets_are_masked_in_messages_fields_and_tracebacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LT_SMTP_PASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("LT_SMTP_USER", "mailbot")
    monkeypatch.setenv("LT_DB_PASSWORD", "pg-pass-4711")
    path = copy_example(
        tmp_path,
        {
            SMTP_COMMENT: "smtp: {host: smtp.example.com, from: l@example.com, "
            "username_env: LT_SMTP_USER, password_env: LT_SMTP_PASSWORD}",
            "database: sqlite:///../data/listener.db": "database: "
            "postgresql+psycopg://listener:${LT_DB_PASSWORD}@db.example.com/listener",
        },
    )
    load_config(path)
    configure("info", json_output=True)
    log = get_logger("test")
    log.warning(
        "connecting", detail="login with hunter2-very-secret", nested={"url": "x:pg-pass-4711@db"}
    )
    logging.getLogger("connectors.feed").warning("stdlib line with hunter2-very-secret")
    try:
        raise RuntimeError("auth failed for pg-pass-4711")
    except RuntimeError:
        log.exception("boom")
    log.info("token given", api_key="abc123456")
    log.info("signed in", who="mailbot")  # every value from the environment (issue 11, 5)
    err = capsys.readouterr().err
    assert "mailbot" not in err
    assert "hunter2-very-secret" not in err and "pg-pass-4711" not in err and "abc123456" not in err
    assert err.count("***") >= 5
    assert "RuntimeError" in err  # the traceback itself is kept, only the secret is masked
