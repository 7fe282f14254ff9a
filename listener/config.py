"""The service config (one YAML file): validated, with every problem reported at once.

Relative paths (personas, data_dir, outbox, source files, a relative SQLite file) are relative to
the config file, so the daemon behaves the same whatever folder it is started from. Secrets come
only from the environment: ``${NAME}`` anywhere in a value, or ``*_env`` keys naming a variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from listener import secrets
from listener.alerts.config import AlertsConfig
from listener.dburl import database_url_problem, resolve_database_url
from listener.drift.config import DriftConfig
from listener.durations import parse_duration, parse_weekly_schedule
from listener.environment import expand, register_env_keys
from listener.errors import ConfigError
from listener.logging import LOG_LEVELS
from listener.personas import PersonaSet, format_validation_error, load_personas
from listener.privacy.config import PrivacyConfig, RetentionConfig
from listener.source_config import Source, Strict, validate_sources
from listener.webhooks.config import WebhooksConfig, name_clashes
from listener.yamlfile import load_yaml


class DigestConfig(Strict):
    schedule: str = "mon 08:00"
    recipients: list[str] = Field(default_factory=list)
    outbox: Path = Path("outbox")
    weeks: int = Field(default=8, ge=2, le=26)
    """How many weeks the digest's charts show (the drift baseline is ``drift.baseline_weeks``)."""
    quotes: int = Field(default=3, ge=0, le=10)
    """Verbatim quotes per moving line and per emerging theme."""
    subject: str = "Listener {week}: {headline}"
    """``{week}`` is the week reported on, ``{headline}`` the top one or two changes."""

    @field_validator("subject")
    @classmethod
    def _valid_subject(cls, value: str) -> str:
        try:
            value.format(week="2026-W47", headline="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"{value!r}: only {{week}} and {{headline}} can be filled in") from exc
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_weekly_schedule(value)
        return value

    @field_validator("recipients")
    @classmethod
    def _valid_recipients(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if "@" not in r]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad)}")
        return value


class SmtpConfig(Strict):
    host: str
    port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    ssl: bool = False
    from_address: str = Field(alias="from")
    username_env: str | None = None
    password_env: str | None = None
    timeout: float = 30.0


class NlpConfig(Strict):
    model: str | None = None
    """An installed spaCy model package (e.g. en_core_web_sm); blank English + rules when absent."""
    semantic: bool = False
    batch_size: int = Field(default=1024, ge=1)
    """Items per processing chunk: one read, one NLP call, one write transaction."""
    workers: int = Field(default=1, ge=0, le=64)
    """Forked NLP processes for a backlog of thousands of items (a first run, a re-score); the
    process itself reads and writes the chunks meanwhile. 0: the NLP runs in the process (as
    it always does with ``semantic``: torch's threads do not survive a fork)."""


class DeliveryConfig(Strict):
    """How deliveries (the digest, alerts) are claimed and retried."""

    lease: str = "5m"
    """How long a claim on one send is held. A process that dies while sending loses its claim
    after this: before hand-over it is retried, during hand-over it becomes uncertain."""

    @field_validator("lease")
    @classmethod
    def _valid_lease(cls, value: str) -> str:
        if parse_duration(value) < 1:
            raise ValueError(f"{value!r}: a lease of under a second cannot hold a send")
        return value

    @property
    def lease_seconds(self) -> float:
        return parse_duration(self.lease)


class LeasesConfig(Strict):
    """How instances sharing one database split the sources (listener.store.leases)."""

    duration: str = "30s"
    """A source run's lease. A dead instance's runs are taken over after at most this long."""
    poll: str = "1s"
    """How often each instance renews its leases, beats its heartbeat and looks for due runs."""

    @field_validator("duration", "poll")
    @classmethod
    def _valid_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _renewed_in_time(self) -> LeasesConfig:
        if self.poll_seconds * 2 > self.duration_seconds:
            raise ValueError(
                f"poll ({self.poll}) must be at most half of duration ({self.duration}), so a "
                "live instance renews its leases before they run out; e.g. duration: 30s, poll: 1s"
            )
        return self

    @property
    def duration_seconds(self) -> float:
        return parse_duration(self.duration)

    @property
    def poll_seconds(self) -> float:
        return parse_duration(self.poll)


class HealthConfig(Strict):
    """The daemon's /healthz and /metrics endpoint (off unless configured)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, lt=65536)


class ServiceConfig(Strict):
    database: str | None = None
    data_dir: Path = Path("data")
    timezone: str = "UTC"
    personas: Path
    sources: list[dict[str, Any]] = Field(default_factory=list)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    smtp: SmtpConfig | None = None
    nlp: NlpConfig = Field(default_factory=NlpConfig)
    health: HealthConfig | None = None
    webhooks: WebhooksConfig | None = None
    """Pushed survey answers (off unless configured)."""
    drift: DriftConfig = Field(default_factory=DriftConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    leases: LeasesConfig = Field(default_factory=LeasesConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    log_level: str = "info"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"not a log level; use one of {', '.join(LOG_LEVELS)}")
        return value.lower()

    @field_validator("database")
    @classmethod
    def _readable_url(cls, value: str | None) -> str | None:
        if value:
            database_url_problem(value, raising=True)
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
            ) from exc
        return value


@dataclass(frozen=True)
class Config:
    """The validated config, with paths resolved against the config file's folder."""

    path: Path
    service: ServiceConfig
    sources: tuple[Source, ...]
    personas: PersonaSet

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, path: Path | str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.service.data_dir)

    @property
    def outbox(self) -> Path:
        return self.resolve(self.service.digest.outbox)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.service.timezone)

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.service, self.base_dir)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def default_config_path() -> Path:
    return Path(os.environ.get("LISTENER_CONFIG", "listener.yaml"))


def load_config(path: Path | None = None) -> Config:
    """Load, expand secrets, validate. Raises ConfigError listing every problem found."""
    path = (path or default_config_path()).expanduser()
    if not path.is_file():
        raise ConfigError(
            [f"{path}: config file not found"],
            hint="pass -c PATH, set LISTENER_CONFIG, or start from config/listener.example.yaml",
        )
    where = str(path)
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(
            [f"{where}: the top level must be a mapping of keys (database:, sources:, ...)"]
        )
    problems: list[str] = []
    expanded = expand(raw, where, problems)
    raw = expanded.value
    try:
        service = ServiceConfig.model_validate(raw)
    except ValidationError as exc:
        problems += format_validation_error(exc, where, model=ServiceConfig)
        service = None
    sources = validate_sources(raw.get("sources") or [], where, problems)
    personas = None
    base_dir = path.resolve().parent
    if isinstance(raw.get("personas"), str):
        personas_path = Path(raw["personas"]).expanduser()
        personas_path = personas_path if personas_path.is_absolute() else base_dir / personas_path
        try:
            personas = load_personas(personas_path)
        except ConfigError as exc:
            problems += [f"{where}: personas: {p}" for p in exc.problems]
    if service is not None:
        _register_env_keys(service, sources)
        problems += [f"{where}: {p}" for p in _webhook_problems(service, sources)]
        folder = database_url_problem(resolve_database_url(service, path.resolve().parent))
        if folder:
            problems.append(f"{where}: {'database' if service.database else 'data_dir'}: {folder}")
    if problems or service is None or personas is None:
        raise ConfigError(  # values from the environment are shown as written: ${NAME}
            [secrets.mask(expanded.unexpand(p)) for p in problems],
            hint="fix the keys named above; `listener check` lists them all",
        )
    return Config(path=path.resolve(), service=service, sources=tuple(sources), personas=personas)


def _register_env_keys(service: ServiceConfig, sources: list[Source]) -> None:
    """Every ``*_env`` variable of the validated blocks (defaults included) is a secret; so is
    an alert webhook's URL written in the file (a Slack-style URL is its own credential)."""
    blocks = [source.connector.model_dump() for source in sources]
    blocks.append(service.privacy.model_dump())
    if service.smtp is not None:
        blocks.append(service.smtp.model_dump())
    for webhook in service.alerts.webhooks:
        secrets.register(webhook.url)
        blocks.append(webhook.model_dump())
    if service.webhooks is not None:
        blocks += [route.model_dump() for route in service.webhooks.routes]
    register_env_keys(blocks)


def _webhook_problems(service: ServiceConfig, sources: list[Source]) -> list[str]:
    if service.webhooks is None:
        return []
    problems = name_clashes(service.webhooks, [s.name for s in sources])
    if service.webhooks.port is None and service.health is None:
        problems.append(
            "webhooks.port: give the webhooks a port, or configure `health:` to share its port"
        )
    return problems
