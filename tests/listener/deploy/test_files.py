"""The deploy files hold together: the compose config validates with the variables compose sets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from listener.config import load_config

REPO = Path(__file__).resolve().parents[3]


def test_compose_config_is_valid_with_the_compose_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    environment = compose["services"]["listener"]["environment"]
    assert environment["LISTENER_CONFIG"] == "/etc/listener/listener.compose.yaml"
    monkeypatch.setenv("LISTENER_DATABASE_URL", "postgresql+psycopg://listener:pw@db:5432/listener")
    monkeypatch.setenv("SMTP_HOST", environment["SMTP_HOST"])
    config = load_config(REPO / "config" / "listener.compose.yaml")
    assert config.database_url.startswith("postgresql+psycopg://")
    assert config.service.smtp is not None and config.service.smtp.host == "mail"
    health = config.service.health
    assert health is not None and health.host == "0.0.0.0"
    assert f"127.0.0.1:{health.port}:{health.port}" in compose["services"]["listener"]["ports"]


def test_unit_is_notify_type_with_watchdog_and_hardening() -> None:
    unit = (REPO / "deploy" / "listener.service").read_text().splitlines()
    settings = {line.split("=", 1)[0] for line in unit if "=" in line and not line.startswith("#")}
    for key in (
        "Type", "WatchdogSec", "Restart", "DynamicUser", "ProtectSystem", "StateDirectory",
        "EnvironmentFile", "NoNewPrivileges", "PrivateTmp", "ProtectHome",
    ):  # fmt: skip
        assert key in settings, key
    assert "Type=notify" in unit and "ProtectSystem=strict" in unit
