"""Personas as the marketers write them, in YAML, validated and versioned.

The version is a hash of the file's meaning (not its formatting), stored with every evidence row,
so a change to personas is visible in history and ``listener rescore`` knows what is stale.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from listener.errors import ConfigError
from listener.nlp.types import Kind
from listener.secrets import is_secret_name
from listener.yamlfile import load_yaml

_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attribute(_Strict):
    """One pain or aspiration and the wording that signals it."""

    id: str = Field(pattern=_ID_PATTERN)
    label: str = Field(min_length=1)
    phrases: tuple[str, ...]
    """Multi-word phrases matched on lemmas ("send invoice" also finds "sending invoices")."""
    keywords: tuple[str, ...] = ()
    """Single words that signal the attribute on their own, with a lower score than a phrase."""
    synonyms: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Word → alternatives, expanded into every phrase ("invoice": ["bill"])."""

    @field_validator("phrases", "keywords")
    @classmethod
    def _non_blank(cls, values: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        cleaned = tuple(v.strip() for v in values)
        if any(not v for v in cleaned):
            raise ValueError("phrases and keywords must not be blank")
        # Checked here, not with Field(min_length=1): pydantic would also report a list whose
        # items failed as "too short", a second, false error for the same mistake.
        if info.field_name == "phrases" and not cleaned:
            raise ValueError("an attribute needs at least one phrase")
        return cleaned


class Profile(_Strict):
    demographics: str | None = None
    psychographics: str | None = None
    behaviours: str | None = None
    goals: str | None = None


class Persona(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1)
    negative: bool = False
    """A negative persona is someone the marketers do *not* want to attract."""
    segment: dict[str, str | list[str]] = Field(default_factory=dict)
    profile: Profile = Field(default_factory=Profile)
    pains: tuple[Attribute, ...] = ()
    aspirations: tuple[Attribute, ...] = ()

    @model_validator(mode="after")
    def _unique_attribute_ids(self) -> Persona:
        ids = [a.id for a in (*self.pains, *self.aspirations)]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"attribute ids must be unique within a persona: {', '.join(dupes)}")
        if not ids:
            raise ValueError("a persona needs at least one pain or aspiration")
        return self

    def attributes(self) -> Iterator[tuple[Kind, Attribute]]:
        for pain in self.pains:
            yield "pain", pain
        for aspiration in self.aspirations:
            yield "aspiration", aspiration


class PersonaSet(_Strict):
    personas: tuple[Persona, ...]
    synonyms: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Synonyms shared by every persona's phrases."""

    @field_validator("personas")
    @classmethod
    def _not_empty(cls, personas: tuple[Persona, ...]) -> tuple[Persona, ...]:
        # Not Field(min_length=1): see Attribute._non_blank.
        if not personas:
            raise ValueError("the file needs at least one persona")
        return personas

    @model_validator(mode="after")
    def _unique_ids(self) -> PersonaSet:
        ids = [p.id for p in self.personas]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"persona ids must be unique: {', '.join(dupes)}")
        return self

    @property
    def version(self) -> str:
        """A short hash of the content: equal for equal meaning, whatever the YAML layout."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def get(self, persona_id: str) -> Persona:
        for persona in self.personas:
            if persona.id == persona_id:
                return persona
        raise KeyError(persona_id)


def format_validation_error(
    error: ValidationError,
    where: str,
    prefix: str = "",
    model: type[BaseModel] | None = None,
    also: Iterable[str] = (),
) -> list[str]:
    """Turn pydantic's errors into lines naming the file, the key path and the bad value (not
    for keys that hold credentials: a database URL, a webhook URL, a password; never for an
    unknown key, which may be a misspelt one of those). An unknown key of ``model`` (whose
    siblings may include ``also``) gets the closest known key suggested."""
    lines = []
    for err in error.errors():
        path = prefix + _key_path(err["loc"])
        value = err.get("input")
        hidden = (
            isinstance(value, dict | list)
            or value is None
            or err["type"] == "extra_forbidden"
            or _holds_credentials(path)
        )
        shown = "" if hidden else f" (got {value!r})"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = _keys_at(model, err["loc"][:-1]) if model is not None else None
            if known is not None:
                known |= set(also) if len(err["loc"]) == 1 else set()
                close = difflib.get_close_matches(str(err["loc"][-1]), sorted(known), n=1)
                hint = (
                    f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
                )
                message = f"unknown key ({hint})"
            else:
                message = "unknown key"
        lines.append(f"{where}: {path or '<top>'}: {message}{shown}")
    return lines


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> set[str] | None:
    """The keys a mapping at ``loc`` inside ``model`` may have (None where it cannot tell)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part)) if current else None
        if field is None and current is not None:
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
        current = _model_in(field.annotation) if field is not None else None
        if current is None:
            return None
    assert current is not None
    return {f.alias or name for name, f in current.model_fields.items()}


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model inside an annotation such as ``X``, ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _holds_credentials(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last in ("database", "url") or is_secret_name(last)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def load_personas(path: Path) -> PersonaSet:
    """Read and validate a personas file; every problem is reported at once."""
    if not path.is_file():
        raise ConfigError(
            [f"{path}: personas file not found"],
            hint="set `personas:` in the config to a YAML file, relative to the config file",
        )
    data = load_yaml(path)
    try:
        return PersonaSet.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, str(path), model=PersonaSet)) from exc
