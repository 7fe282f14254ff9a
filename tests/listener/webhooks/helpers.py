"""Webhook deliveries as senders make them: Typeform form_response events, signed bodies."""

from __future__ import annotations

import http.client
import json
from typing import Any

from listener.webhooks.events import hex_signature, typeform_signature

SECRET = "whsec_test_0123456789abcdef"
HARDEST = "What is the hardest part of your week?"


def typeform_event(token: str, text: str, *, size: str = "11-50") -> dict[str, Any]:
    """The shape Typeform posts: event_id, event_type and the form_response with its definition."""
    return {
        "event_id": f"01HEV{token.upper()}",
        "event_type": "form_response",
        "form_response": {
            "form_id": "Lz4Q9xkP",
            "token": token,
            "landed_at": "2026-11-20T09:56:02Z",
            "submitted_at": "2026-11-20T10:00:02Z",
            "hidden": {"industry": "retail"},
            "definition": {
                "id": "Lz4Q9xkP",
                "title": "Invoicing pulse survey",
                "fields": [
                    {"id": "lT1aaaa1", "ref": "hardest", "type": "long_text", "title": HARDEST},
                    {
                        "id": "mC3cccc3",
                        "ref": "company-size",
                        "type": "multiple_choice",
                        "title": "How many people work at your company?",
                    },
                ],
                "hidden": ["industry"],
            },
            "answers": [
                {
                    "type": "text",
                    "text": text,
                    "field": {"id": "lT1aaaa1", "type": "long_text", "ref": "hardest"},
                },
                {
                    "type": "choice",
                    "choice": {"label": size},
                    "field": {"id": "mC3cccc3", "type": "multiple_choice", "ref": "company-size"},
                },
            ],
        },
    }


def post(
    port: int, path: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def signed_typeform(event: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"Typeform-Signature": typeform_signature(secret, body)}


def signed_generic(
    data: dict[str, Any], secret: str = SECRET, bare: bool = False
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()
    signature = hex_signature(secret, body)
    return body, {"X-Signature-256": signature.removeprefix("sha256=") if bare else signature}
