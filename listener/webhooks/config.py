"""The ``webhooks:`` config section: routes that receive pushed survey answers.

Off unless the section is present. Each route names the source its items are stored under (so
reports and `listener status` treat it like any source), the secret's environment variable,
and how to read its events: ``typeform`` (Typeform's form_response payload, signed with
``Typeform-Signature``) or ``generic`` (any JSON, with paths to the text, id and time, signed
with an HMAC-SHA256 hex digest in ``X-Signature-256``).

    webhooks:
      host: 127.0.0.1          # loopback unless configured
      port: null               # null: share the health endpoint's port
      max_body_bytes: 1000000
      routes:
        - name: pulse-hook
          type: typeform
          secret_env: TYPEFORM_WEBHOOK_SECRET
        - name: in-app-feedback
          type: generic
          secret_env: FEEDBACK_WEBHOOK_SECRET
          text_path: feedback.text
          id_path: feedback.id
          time_path: feedback.created_at
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.segments import check_segment_values

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_PATH = re.compile(r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Route(_Strict):
    name: str = Field(pattern=_NAME)
    """The source name its items are stored under (unique among sources and routes)."""
    path: str | None = None
    """URL path it answers on; default /webhooks/<name>."""
    secret_env: str
    """Environment variable holding the shared secret the sender signs with."""
    segment: dict[str, str] = Field(default_factory=dict)
    """Tags added to every item of the route, as a source's `segment`."""

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or "?" in value):
            raise ValueError(f"path must start with / and have no query (got {value!r})")
        return value

    @property
    def url_path(self) -> str:
        return self.path or f"/webhooks/{self.name}"


class TypeformRoute(_Route):
    """Typeform's webhook (form_response events), signed with the webhook's secret."""

    type: Literal["typeform"]
    text_fields: list[str] | None = None
    """Refs of the questions to read; default: every long-text question."""
    prompts: dict[str, Literal["pain", "aspiration"]] = Field(default_factory=dict)
    segment_fields: dict[str, str] | None = None
    segment_values: dict[str, dict[str, str]] = Field(default_factory=dict)
    include_partial: bool = False

    @field_validator("segment_values")
    @classmethod
    def _segment_values(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        check_segment_values(value)
        return value


def _check_path(value: str | None, key: str) -> str | None:
    if value is not None and not _PATH.match(value):
        raise ValueError(f"{key} {value!r}: use dotted keys, e.g. feedback.text or items.0.text")
    return value


class GenericRoute(_Route):
    """Any JSON sender: where the text, id and time are, and an HMAC-SHA256 hex signature."""

    type: Literal["generic"]
    text_path: str
    id_path: str | None = None
    """Where the event's id is; without one the body's hash is the id (a resend is the same)."""
    time_path: str | None = None
    title_path: str | None = None
    segment_paths: dict[str, str] = Field(default_factory=dict)
    """Segment tag → path of its value."""
    prompt: Literal["pain", "aspiration"] | None = None
    """What the text answers, when it answers a question that asks for one."""
    signature_header: str = "X-Signature-256"

    @model_validator(mode="after")
    def _paths(self) -> GenericRoute:
        for key in ("text_path", "id_path", "time_path", "title_path"):
            _check_path(getattr(self, key), key)
        for tag, path in self.segment_paths.items():
            _check_path(path, f"segment_paths.{tag}")
        return self


Route = Annotated[TypeformRoute | GenericRoute, Field(discriminator="type")]


class WebhooksConfig(_Strict):
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=0, lt=65536)
    """Its own port, or None to share the health endpoint's."""
    max_body_bytes: int = Field(default=1_000_000, ge=1024, le=50_000_000)
    routes: list[Route] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> WebhooksConfig:
        for what, values in (
            ("name", [r.name for r in self.routes]),
            ("path", [r.url_path for r in self.routes]),
        ):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"routes repeat the {what} {', '.join(map(repr, repeated))}")
        return self


def name_clashes(webhooks: WebhooksConfig, source_names: Iterable[str]) -> list[str]:
    """Problems for `load_config`: a route stores items under its name, as a source does."""
    taken = set(source_names)
    return [
        f"webhooks.routes[{i}].name: {r.name!r} is also a source's name; items of both would mix"
        for i, r in enumerate(webhooks.routes)
        if r.name in taken
    ]
