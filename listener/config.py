"""The service config (one YAML file): validated, with every problem reported at once.

Relative paths (personas, data_dir, outbox, source files, a relative SQLite file) are relative to
the config file, so the daemon behaves the same whatever folder it is started from. Secrets come
only from the environment: ``${NAME}`` anywhere in a value, or ``*_env`` keys naming a variable.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.base import ConnectorConfig
from connectors.registry import REGISTRY
from listener.alerts.config import AlertsConfig
from listener.drift.model import DriftConfig
from listener.errors import ConfigError
from listener.logging import is_secret_name, register_secret
from listener.personas import PersonaSet, format_validation_error, load_personas
from listener.webhooks.config import WebhooksConfig, name_clashes

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(value: str) -> float:
    """ "30m" → 1800.0 seconds. Raises ValueError with the accepted forms."""
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(
            f"{value!r} is not a duration; use a number and a unit, e.g. 90s, 30m, 6h, 1d"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"{value!r}: the interval must be positive, e.g. 30m")
    return seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SourceSpec(_Strict):
    """The keys every source has; the rest belong to its connector's own Config."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    type: str
    every: str | None = None
    cron: str | None = None
    segment: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True

    @field_validator("every", mode="before")
    @classmethod
    def _every_needs_a_unit(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{value!r} has no unit; write e.g. {value}m or {value}s")
        return value

    @field_validator("every")
    @classmethod
    def _valid_every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a 5-field crontab expression ({exc})") from exc
        return value

    @property
    def interval_seconds(self) -> float | None:
        return parse_duration(self.every) if self.every else None


class DigestConfig(_Strict):
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


def parse_weekly_schedule(value: str) -> tuple[int, time]:
    """ "mon 08:00" → (0, 08:00). Raises ValueError that shows the accepted form."""
    parts = value.lower().split()
    if len(parts) != 2 or parts[0][:3] not in _WEEKDAYS:
        raise ValueError(f"{value!r}: use a weekday and a time, e.g. 'mon 08:00'")
    try:
        hours, minutes = (int(p) for p in parts[1].split(":"))
        at = time(hours, minutes)
    except ValueError as exc:
        raise ValueError(f"{value!r}: the time must be HH:MM, e.g. 'mon 08:00'") from exc
    return _WEEKDAYS.index(parts[0][:3]), at


class SmtpConfig(_Strict):
    host: str
    port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    ssl: bool = False
    from_address: str = Field(alias="from")
    username_env: str | None = None
    password_env: str | None = None
    timeout: float = 30.0


class NlpConfig(_Strict):
    model: str | None = None
    """An installed spaCy model package (e.g. en_core_web_sm); blank English + rules when absent."""
    semantic: bool = False
    batch_size: int = Field(default=256, ge=1)


class DeliveryConfig(_Strict):
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


class HealthConfig(_Strict):
    """The daemon's /healthz and /metrics endpoint (off unless configured)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, lt=65536)


class ServiceConfig(_Strict):
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
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    log_level: str = "info"

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
class Source:
    spec: SourceSpec
    connector: ConnectorConfig

    @property
    def name(self) -> str:
        return self.spec.name


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
        url = self.service.database
        if not url:
            return f"sqlite:///{self.data_dir / 'listener.db'}"
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            path = url[len(prefix) :]
            if not path.startswith("/"):
                return prefix + str(self.resolve(path))
        return url

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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(
            [f"{where}: not valid YAML: {exc}"],
            hint="look at the line and column named above: usually indentation, a missing ':' "
            "or a value with ': ' or '#' that needs quotes",
        ) from exc
    if not isinstance(raw, dict):
        raise ConfigError(
            [f"{where}: the top level must be a mapping of keys (database:, sources:, ...)"]
        )
    problems: list[str] = []
    raw = _expand_env(raw, "", where, problems)
    try:
        service = ServiceConfig.model_validate(raw)
    except ValidationError as exc:
        problems += format_validation_error(exc, where)
        service = None
    sources = _validate_sources(raw.get("sources") or [], where, problems)
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
        _register_named_secrets(service, sources)
        problems += [f"{where}: {p}" for p in _webhook_problems(service, sources)]
    if problems or service is None or personas is None:
        raise ConfigError(
            problems, hint="fix the keys named above; `listener check` lists them all"
        )
    return Config(path=path.resolve(), service=service, sources=tuple(sources), personas=personas)


def _expand_env(value: Any, key_path: str, where: str, problems: list[str]) -> Any:
    """Replace ${NAME} with the environment's value; a missing variable is a problem, not ''."""
    if isinstance(value, dict):
        return {
            k: _expand_env(v, _join(key_path, str(k)), where, problems) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_expand_env(v, f"{key_path}[{i}]", where, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if is_secret_name(name) or is_secret_name(key_path) or key_path == "database":
                register_secret(os.environ.get(name))
            if name not in os.environ:
                problems.append(
                    f"{where}: {key_path}: environment variable {name} is not set "
                    f"(export it, or put it in the service's environment file)"
                )
                return ""
            return os.environ[name]

        return _ENV_REF.sub(substitute, value)
    return value


def _register_named_secrets(service: ServiceConfig, sources: list[Source]) -> None:
    """Mask the values of secret-named ``*_env`` variables (password_env, client_secret_env,
    api_key_env) in every log line, defaults included; user names and ids stay readable."""
    settings = [source.connector.model_dump() for source in sources]
    if service.smtp is not None:
        settings.append(service.smtp.model_dump())
    for webhook in service.alerts.webhooks:
        register_secret(webhook.url)  # a Slack-style URL is its own credential
        settings.append(webhook.model_dump())
    for fields in settings:
        for name, variable in fields.items():
            secret = is_secret_name(name) or name == "url_env"
            if name.endswith("_env") and secret and isinstance(variable, str):
                register_secret(os.environ.get(variable))


def _webhook_problems(service: ServiceConfig, sources: list[Source]) -> list[str]:
    if service.webhooks is None:
        return []
    problems = name_clashes(service.webhooks, [s.name for s in sources])
    if service.webhooks.port is None and service.health is None:
        problems.append(
            "webhooks.port: give the webhooks a port, or configure `health:` to share its port"
        )
    return problems


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _validate_sources(raw_sources: Any, where: str, problems: list[str]) -> list[Source]:
    if not isinstance(raw_sources, list):
        return []  # ServiceConfig already reported that `sources` must be a list
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources):
        prefix = f"sources[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: {prefix}: each source must be a mapping with name and type")
            continue
        common = {k: v for k, v in raw.items() if k in SourceSpec.model_fields}
        own = {k: v for k, v in raw.items() if k not in SourceSpec.model_fields}
        spec: SourceSpec | None = None
        try:
            spec = SourceSpec.model_validate(common)
        except ValidationError as exc:
            problems += format_validation_error(exc, where, prefix + ".")
        kind = raw.get("type")
        connector_cls = REGISTRY.get(kind) if isinstance(kind, str) else None
        if isinstance(kind, str) and connector_cls is None:
            close = difflib.get_close_matches(kind, REGISTRY, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"{where}: {prefix}.type: unknown connector type {kind!r}{suggestion}; "
                f"known types: {', '.join(sorted(REGISTRY))}"
            )
        if spec is not None:
            if spec.name in seen:
                problems.append(f"{where}: {prefix}.name: {spec.name!r} is used by another source")
            seen.add(spec.name)
            if spec.every and spec.cron:
                problems.append(f"{where}: {prefix}: give either `every` or `cron`, not both")
            if not spec.every and not spec.cron:
                problems.append(
                    f"{where}: {prefix}: give a schedule: `every: 30m` or `cron: '*/30 * * * *'`"
                )
        if connector_cls is None:
            continue
        try:
            connector_config = connector_cls.Config.model_validate(own)
        except ValidationError as exc:
            problems += format_validation_error(exc, where, prefix + ".")
            continue
        if spec is not None:
            sources.append(Source(spec=spec, connector=connector_config))
    return sources
