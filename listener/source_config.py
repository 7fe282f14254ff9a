"""The ``sources:`` list of the config: the keys every source has, and each source's own keys
validated by its connector's config class (looked up without importing the connector)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.base import ConnectorConfig
from connectors.registry import CONFIGS
from listener.durations import parse_duration
from listener.personas import format_validation_error


class Strict(BaseModel):
    """The base of every config block: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SourceSpec(Strict):
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


@dataclass(frozen=True)
class Source:
    spec: SourceSpec
    connector: ConnectorConfig

    @property
    def name(self) -> str:
        return self.spec.name


def validate_sources(raw_sources: Any, where: str, problems: list[str]) -> list[Source]:
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
            problems += format_validation_error(exc, where, prefix + ".", SourceSpec)
        kind = raw.get("type")
        config_cls = CONFIGS.get(kind) if isinstance(kind, str) else None
        if isinstance(kind, str) and config_cls is None:
            close = difflib.get_close_matches(kind, CONFIGS, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"{where}: {prefix}.type: unknown connector type {kind!r}{suggestion}; "
                f"known types: {', '.join(sorted(CONFIGS))}"
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
        if config_cls is None:
            continue
        try:
            connector_config = config_cls.model_validate(own)
        except ValidationError as exc:
            problems += format_validation_error(
                exc, where, prefix + ".", config_cls, also=SourceSpec.model_fields
            )
            continue
        if spec is not None:
            sources.append(Source(spec=spec, connector=connector_config))
    return sources
