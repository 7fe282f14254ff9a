"""A loopback fake of Typeform's Create and Responses APIs, in their documented JSON shapes.

``GET /forms/{id}`` answers the form definition (``fields`` with id, ref, title, type; groups
nest ``properties.fields``; ``hidden`` names). ``GET /forms/{id}/responses`` answers
``{"total_items", "page_count", "items"}`` newest first, with ``page_size`` (default 25, at most
1000), ``since``/``until`` (inclusive; ISO 8601 UTC or Unix seconds), ``before``/``after``
(a response token, exclusive) and ``response_type`` (completed only unless asked). A bearer
token is required (401 otherwise); ``forbidden`` forms answer 403, unknown ones 404.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.connectors.forum_fakes import Answer, LoopbackFake, Request

TOKEN = "tfp_fake_personal_access_token_0001"
HARDEST = "What is the hardest part of your week?"
WISH = "What would you love your invoicing tool to do?"


def _json(data: Any, status: int = 200) -> Answer:
    return status, {}, json.dumps(data).encode()


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC)


_ANSWER_TYPES = {
    "long_text": "text",
    "short_text": "text",
    "multiple_choice": "choice",
    "dropdown": "choice",
    "email": "email",
    "number": "number",
    "opinion_scale": "number",
    "yes_no": "boolean",
}


class FakeTypeform(LoopbackFake):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.forms: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.forbidden: set[str] = set()

    # -- state ---------------------------------------------------------------------------------
    def add_form(
        self,
        form_id: str,
        title: str,
        fields: list[dict[str, Any]],
        hidden: list[str] = (),  # type: ignore[assignment]
    ) -> None:
        self.forms[form_id] = {
            "id": form_id,
            "title": title,
            "type": "quiz",
            "hidden": list(hidden),
            "fields": fields,
            "_links": {"display": f"https://example.typeform.com/to/{form_id}"},
        }
        self.responses.setdefault(form_id, [])

    def _field(self, form_id: str, ref: str) -> dict[str, Any]:
        def walk(fields: list[dict[str, Any]]) -> dict[str, Any] | None:
            for f in fields:
                if f["ref"] == ref:
                    return f
                inner = walk(f.get("properties", {}).get("fields", []))
                if inner:
                    return inner
            return None

        found = walk(self.forms[form_id]["fields"])
        assert found is not None, ref
        return found

    def add_response(
        self,
        form_id: str,
        token: str,
        submitted: datetime,
        answers: dict[str, Any],
        hidden: dict[str, str] | None = None,
        partial: bool = False,
    ) -> dict[str, Any]:
        out = []
        for ref, value in answers.items():
            f = self._field(form_id, ref)
            kind = _ANSWER_TYPES[f["type"]]
            if isinstance(value, list):
                kind, payload = "choices", {"labels": value}
            elif kind == "choice":
                payload = {"label": value}
            else:
                payload = value
            out.append(
                {
                    "field": {"id": f["id"], "type": f["type"], "ref": ref},
                    "type": kind,
                    kind: payload,
                }
            )
        item = {
            "landing_id": token,
            "token": token,
            "response_id": token,
            "response_type": "partial" if partial else "completed",
            "landed_at": _iso(submitted - timedelta(minutes=4)),
            "submitted_at": None if partial else _iso(submitted),
            "metadata": {
                "user_agent": "Mozilla/5.0",
                "platform": "other",
                "referer": f"https://example.typeform.com/to/{form_id}",
                "network_id": "a1b2c3d4e5",
                "browser": "default",
            },
            "hidden": hidden or {},
            "calculated": {"score": 0},
            "answers": out,
        }
        if partial:
            del item["submitted_at"]
        self.responses[form_id].append(item)  # processing order
        return item

    # -- HTTP ----------------------------------------------------------------------------------
    def answer(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _json(
                {
                    "code": "AUTHENTICATION_FAILED",
                    "description": "Authentication credentials not found on the Request Headers",
                },
                401,
            )
        parts = request.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "forms":
            return _json({"code": "NOT_FOUND", "description": "Endpoint not found"}, 404)
        form_id = parts[1]
        if form_id in self.forbidden:
            return _json({"code": "FORBIDDEN", "description": "Forbidden"}, 403)
        if form_id not in self.forms:
            return _json(
                {"code": "FORM_NOT_FOUND", "description": "Non existing form with uid " + form_id},
                404,
            )
        if len(parts) == 2:
            return _json(self.forms[form_id])
        if parts[2:] == ["responses"]:
            return self._responses(form_id, request.query)
        return _json({"code": "NOT_FOUND", "description": "Endpoint not found"}, 404)

    def _responses(self, form_id: str, q: dict[str, list[str]]) -> Answer:
        page_size = int(q.get("page_size", ["25"])[0])
        if not 1 <= page_size <= 1000:
            return _json(
                {"code": "VALIDATION_ERROR", "description": "page_size must be between 1 and 1000"},
                400,
            )
        kinds = set(q.get("response_type", ["completed"])[0].split(","))
        items = [r for r in self.responses[form_id] if r["response_type"] in kinds]

        def when(r: dict[str, Any]) -> datetime:
            key = "submitted_at" if kinds == {"completed"} else "landed_at"
            return _parse_time(r.get(key) or r["landed_at"])

        if "since" in q:
            items = [r for r in items if when(r) >= _parse_time(q["since"][0])]
        if "until" in q:
            items = [r for r in items if when(r) <= _parse_time(q["until"][0])]
        order = {id(r): n for n, r in enumerate(self.responses[form_id])}
        items.sort(key=lambda r: (when(r), order[id(r)]), reverse=True)  # newest first
        tokens = [r["token"] for r in items]
        if "before" in q:  # older than the token, exclusive
            cut = tokens.index(q["before"][0]) + 1 if q["before"][0] in tokens else len(items)
            items = items[cut:]
        if "after" in q:  # newer than the token, exclusive
            cut = tokens.index(q["after"][0]) if q["after"][0] in tokens else 0
            items = items[:cut]
        total = len(items)
        return _json(
            {
                "total_items": total,
                "page_count": math.ceil(total / page_size) if total else 0,
                "items": items[:page_size],
            }
        )


def nps_fake(responses: int = 5, start: datetime | None = None) -> FakeTypeform:
    """A form like a product team's NPS follow-up: two long-text questions in a group, a
    company-size choice, a hidden ``industry`` field, and ``responses`` answers a day apart."""
    fake = FakeTypeform()
    fake.add_form(
        "Lz4Q9xkP",
        "Invoicing pulse survey",
        [
            {
                "id": "gR0upAa1",
                "ref": "about-your-week",
                "title": "About your week",
                "type": "group",
                "properties": {
                    "fields": [
                        {"id": "lT1aaaa1", "ref": "hardest", "title": HARDEST, "type": "long_text"},
                        {"id": "lT2bbbb2", "ref": "wish", "title": WISH, "type": "long_text"},
                    ]
                },
            },
            {
                "id": "mC3cccc3",
                "ref": "company-size",
                "title": "How many people work at your company?",
                "type": "multiple_choice",
            },
            {
                "id": "sT4dddd4",
                "ref": "name",
                "title": "What is your first name?",
                "type": "short_text",
            },
            {
                "id": "oS5eeee5",
                "ref": "nps",
                "title": "How likely are you to recommend us?",
                "type": "opinion_scale",
            },
        ],
        hidden=["industry", "utm_source"],
    )
    start = start or datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    for n in range(responses):
        fake.add_response(
            "Lz4Q9xkP",
            f"tok{n:04d}",
            start + timedelta(days=n),
            {
                "hardest": f"Response {n}: chasing invoice number {n} took all of Friday.",
                "company-size": "11-50 employees" if n % 2 else "1-10 employees",
                "name": f"Person {n}",
                "nps": n % 11,
                **({"wish": f"Automatic reminders for invoice {n}."} if n % 3 == 0 else {}),
            },
            hidden={"industry": "retail" if n % 2 else "agency", "utm_source": "newsletter"},
        )
    return fake
