"""Signatures and payloads: is a delivery genuine, and which items does it carry.

Signatures are checked over the raw body bytes, before anything parses them, with a
constant-time comparison. Typeform signs with ``Typeform-Signature: sha256=<base64 of the
HMAC-SHA256 of the body>``; a generic sender with ``X-Signature-256: sha256=<hex>`` (GitHub's
form; a bare hex digest is accepted too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import RawItem, Rejected, SurveyRef
from connectors.segments import SegmentMapper
from connectors.survey_formats import parse_timestamp
from connectors.typeform_answers import Form, Options, response_items
from listener.webhooks.config import GenericRoute, TypeformRoute


class BadEvent(ValueError):
    """A verified body that is not an event of its route's kind (answered 400 or 422)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def typeform_signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def hex_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verified(route: TypeformRoute | GenericRoute, secret: str, body: bytes, header: str) -> bool:
    given = header.strip()
    if not given:
        return False
    if isinstance(route, TypeformRoute):
        return hmac.compare_digest(given.encode(), typeform_signature(secret, body).encode())
    expected = hex_signature(secret, body)
    if not given.startswith("sha256="):
        given = "sha256=" + given.lower()
    return hmac.compare_digest(given.encode(), expected.encode())


def signature_header(route: TypeformRoute | GenericRoute) -> str:
    return "Typeform-Signature" if isinstance(route, TypeformRoute) else route.signature_header


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadEvent(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent(400, "body is not a JSON object")
    return data


@dataclass(frozen=True)
class Parsed:
    items: list[RawItem]
    rejected: list[Rejected]


def typeform_items(route: TypeformRoute, body: bytes) -> Parsed:
    data = _json(body)
    response = data.get("form_response")
    if not isinstance(response, Mapping):
        raise BadEvent(422, "no form_response in the body (is this a Typeform webhook?)")
    definition = response.get("definition")
    form_id = str(response.get("form_id") or "")
    form = Form.parse(definition if isinstance(definition, Mapping) else {}, form_id)
    options = Options(
        text_fields=tuple(route.text_fields) if route.text_fields is not None else None,
        prompts=dict(route.prompts),
        segment_fields=route.segment_fields,
        segments=SegmentMapper(route.segment_values),
        include_partial=route.include_partial,
    )
    out = list(response_items(form, response, options))
    return Parsed(
        [i for i in out if isinstance(i, RawItem)], [r for r in out if isinstance(r, Rejected)]
    )


def lookup(data: Any, path: str) -> Any:
    """``a.b.0.c`` in nested objects and lists; None when any step is missing."""
    for step in path.split("."):
        if isinstance(data, Mapping):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def generic_items(route: GenericRoute, body: bytes) -> Parsed:
    data = _json(body)
    text = _text(lookup(data, route.text_path))
    if not text:
        raise BadEvent(422, f"no text at {route.text_path}")
    event_id = _text(lookup(data, route.id_path)) if route.id_path else ""
    if route.id_path and not event_id:
        raise BadEvent(422, f"no id at {route.id_path}")
    if not event_id:
        event_id = "sha256:" + hashlib.sha256(body).hexdigest()[:32]
    created: datetime | None = None
    if route.time_path:
        raw = lookup(data, route.time_path)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            created = datetime.fromtimestamp(raw / 1000 if raw > 10**11 else raw, UTC)
        elif raw is not None:
            created = parse_timestamp(str(raw), UTC)
    title = _text(lookup(data, route.title_path)) if route.title_path else ""
    segment = {
        tag: value
        for tag, path in route.segment_paths.items()
        if (value := _text(lookup(data, path)))
    }
    item = RawItem(
        external_id=event_id,
        text=text,
        title=title or None,
        created_at=created,
        kind="response" if route.prompt else "post",
        prompt=route.prompt,
        segment=segment,
        survey=SurveyRef(route.name, title, route.text_path, event_id) if title else None,
    )
    return Parsed([item], [])
