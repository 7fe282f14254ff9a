"""Typeform responses as items: shared by the Responses API connector and the webhook receiver.

Both speak the same JSON: a form definition (``fields`` with ``id``, ``ref``, ``title``, ``type``,
groups nesting more fields; ``hidden`` field names) and responses (``token``/``response_id``,
``landed_at``, ``submitted_at``, ``hidden``, ``answers`` each naming its ``field`` by id, type and
ref). Answers are matched by ``ref``: titles change when a form is edited, refs do not. The field's
title is the question. Hidden fields and choice answers can be segment attributes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import RawItem, Rejected, SurveyRef
from connectors.segments import SegmentMapper
from connectors.survey_mapping import segment_tag

TEXT_TYPES = frozenset({"long_text"})
"""Question types read as free text when ``text_fields`` is not configured."""
_SEGMENT_TYPES = frozenset({"multiple_choice", "dropdown", "yes_no", "picture_choice", "number"})


@dataclass(frozen=True, slots=True)
class Field:
    ref: str
    id: str
    title: str
    type: str


@dataclass(frozen=True)
class Form:
    """A form definition, flattened: groups' inner questions are questions too."""

    id: str
    title: str
    fields: dict[str, Field]
    """By ref."""
    hidden: tuple[str, ...] = ()
    by_id: dict[str, Field] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Mapping[str, Any], form_id: str) -> Form:
        fields: dict[str, Field] = {}

        def walk(items: Any) -> None:
            for raw in items if isinstance(items, list) else []:
                if not isinstance(raw, Mapping):
                    continue
                ref, fid = str(raw.get("ref") or raw.get("id") or ""), str(raw.get("id") or "")
                if ref:
                    title = " ".join(str(raw.get("title") or ref).split())
                    fields[ref] = Field(ref, fid, title, str(raw.get("type") or ""))
                walk((raw.get("properties") or {}).get("fields"))

        walk(data.get("fields"))
        hidden = tuple(str(h) for h in data.get("hidden") or [] if isinstance(h, str))
        by_id = {f.id: f for f in fields.values() if f.id}
        title = str(data.get("title") or form_id)
        return cls(str(data.get("id") or form_id), title, fields, hidden, by_id)


@dataclass(frozen=True)
class Options:
    """How a source reads its forms' responses."""

    text_fields: tuple[str, ...] | None = None
    """Refs of the questions read as text; None: every long_text question."""
    prompts: Mapping[str, str] = field(default_factory=dict)
    segment_fields: Mapping[str, str] | None = None
    """Ref or hidden field name → segment tag; None: chosen from the question titles."""
    segments: SegmentMapper = field(default_factory=SegmentMapper)
    include_partial: bool = False


def text_refs(form: Form, options: Options) -> list[str]:
    if options.text_fields is not None:
        return [r for r in options.text_fields if r in form.fields]
    return [f.ref for f in form.fields.values() if f.type in TEXT_TYPES]


def segment_refs(form: Form, options: Options) -> dict[str, str]:
    """Ref or hidden field → tag: as configured, else hidden fields and choice questions whose
    name or title names a segment the personas use (company size, industry, region, role)."""
    if options.segment_fields is not None:
        return dict(options.segment_fields)
    chosen: dict[str, str] = {}
    for name in form.hidden:
        tag = segment_tag(name.replace("_", " "))
        if tag and tag not in chosen.values():
            chosen[name] = tag
    for f in form.fields.values():
        tag = segment_tag(f.title) if f.type in _SEGMENT_TYPES else None
        if tag and tag not in chosen.values():
            chosen[f.ref] = tag
    return chosen


def answer_value(answer: Mapping[str, Any]) -> str:
    """An answer as text, whatever its type (choices joined, booleans yes/no)."""
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, Mapping):
        return str(value.get("label") or value.get("other") or "")
    if kind == "choices" and isinstance(value, Mapping):
        labels = [str(v) for v in value.get("labels") or []]
        if value.get("other"):
            labels.append(str(value["other"]))
        return ", ".join(labels)
    if kind == "boolean":
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    return ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith("0001-"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def response_time(response: Mapping[str, Any]) -> datetime | None:
    """When it was submitted; a partial response has only its landing time."""
    return _time(response.get("submitted_at")) or _time(response.get("landed_at"))


def is_partial(response: Mapping[str, Any]) -> bool:
    kind = response.get("response_type")
    if isinstance(kind, str):
        return kind != "completed"
    return _time(response.get("submitted_at")) is None


def response_items(
    form: Form, response: Mapping[str, Any], options: Options
) -> Iterator[RawItem | Rejected]:
    """One item per answered text question of ``response``, or why it cannot be read."""
    token = response.get("response_id") or response.get("token")
    if not isinstance(token, str) or not token:
        excerpt = json.dumps(response, ensure_ascii=False)
        yield Rejected(form.id, "response without a token or response_id", None, excerpt)
        return
    if is_partial(response) and not options.include_partial:
        return
    answers: dict[str, Mapping[str, Any]] = {}
    for answer in response.get("answers") or []:
        if not isinstance(answer, Mapping) or not isinstance(answer.get("field"), Mapping):
            continue
        meta = answer["field"]
        ref = meta.get("ref") or (
            form.by_id[meta["id"]].ref if meta.get("id") in form.by_id else None
        )
        if isinstance(ref, str):
            answers[ref] = answer
    raw_hidden = response.get("hidden")
    hidden: Mapping[str, Any] = raw_hidden if isinstance(raw_hidden, Mapping) else {}
    segment: dict[str, str] = {}
    for name, tag in segment_refs(form, options).items():
        raw = hidden.get(name) if name in hidden else None
        value = str(raw) if raw is not None else answer_value(answers.get(name, {}))
        if value.strip():
            segment[tag] = options.segments(tag, value)
    created = response_time(response)
    for ref in text_refs(form, options):
        answer = answers.get(ref)
        text = answer_value(answer).strip() if answer else ""
        if not text:
            continue
        question = form.fields[ref].title
        yield RawItem(
            external_id=f"{form.id}:{token}:{ref}",
            text=text,
            title=question,
            created_at=created,
            kind="response",
            prompt=options.prompts.get(ref),
            segment=segment,
            metadata={"form": form.id, "field_ref": ref, "field_type": form.fields[ref].type},
            survey=SurveyRef(form.title, question, ref, token),
        )
