"""``typeform``: responses of Typeform forms through the Responses API.

``GET /forms/{id}/responses`` answers newest first, ``page_size`` up to 1,000, and pages on with
``before=<token of the last response>``. One fetch per form walks from the newest response down
to the cursor's ``since`` (minus a look-back for responses that reach the API late), yielding
each page as a batch. The cursor holds the walk in progress (the ``before`` token and the newest
time seen), so a restart between pages continues below the last page stored: no gap, no
duplicate. When the walk reaches the bottom, ``since`` moves up to the newest time it saw and the
tokens of the look-back window are remembered so the next walk skips them.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.base import Batch, ConnectorConfig, ConnectorError, Cursor, RawItem, Rejected
from connectors.configs.typeform import TypeformConfig
from connectors.http import HttpClient, HttpConnector, HttpStatusError, safe_url
from connectors.segments import SegmentMapper
from connectors.typeform_answers import (
    Form,
    Options,
    response_items,
    response_time,
    segment_refs,
    text_refs,
)

LATE_SECONDS = 3600
"""Responses can reach the Responses API a while after newer ones: each walk looks back this far."""
MAX_RECENT = 5000
"""Bound on the tokens remembered from that look-back window."""


class TypeformConnector(HttpConnector[TypeformConfig]):
    """Answers to Typeform forms, by field ref, with hidden fields and choices as segments."""

    type: ClassVar[str] = "typeform"
    Config: ClassVar[builtins.type[ConnectorConfig]] = TypeformConfig

    @property
    def _options(self) -> Options:
        c = self.config
        return Options(
            text_fields=tuple(c.text_fields) if c.text_fields is not None else None,
            prompts=dict(c.prompts),
            segment_fields=c.segment_fields,
            segments=SegmentMapper(c.segment_values),
            include_partial=c.include_partial,
        )

    def _headers(self) -> dict[str, str]:
        token = os.environ.get(self.config.token_env, "").strip()
        if not token:
            raise ConnectorError(
                f"environment variable {self.config.token_env} is not set",
                hint="create a personal access token (scopes responses:read and forms:read) in "
                "Typeform's account settings and export it in the service's environment",
                permanent=True,
            )
        return {"Authorization": f"Bearer {token}"}

    def _get(self, http: HttpClient, path: str, form: str, params: Mapping[str, Any]) -> Any:
        url = f"{self.config.api_url}{path}"
        try:
            data = http.get_json(url, headers=self._headers(), params=params)
        except HttpStatusError as exc:
            raise _explain(exc, form, self.config.token_env) from None
        if not isinstance(data, dict):
            raise ConnectorError(
                f"{safe_url(url)} did not answer like the Typeform API (form {form})",
                hint="api_url should be https://api.typeform.com (or api.eu.typeform.com)",
                permanent=True,
            )
        return data

    def form(self, http: HttpClient, form_id: str) -> Form:
        return Form.parse(self._get(http, f"/forms/{form_id}", repr(form_id), {}), form_id)

    # -- public ------------------------------------------------------------------------------
    def check(self) -> None:
        with self._client(timeout=self.config.timeout) as http:
            for form_id in self.config.forms:
                self._check_form(self.form(http, form_id))

    def _check_form(self, form: Form) -> None:
        wanted = self.config.text_fields
        missing = [r for r in wanted or [] if r not in form.fields]
        if missing or not text_refs(form, self._options):
            shown = ", ".join(
                f"{f.ref!r} ({f.title[:40]})" for f in list(form.fields.values())[:20]
            )
            what = (
                f"has no field with ref {missing[0]!r}" if missing else "has no long-text question"
            )
            raise ConnectorError(
                f"Typeform form {form.title!r} ({form.id}) {what}",
                hint=f"set text_fields to refs of its questions: {shown or 'it has none'}",
                permanent=True,
            )

    def describe(self) -> dict[str, Any]:
        """For `listener check`: per form, the questions read as text and the segment fields."""
        out = []
        with self._client(timeout=self.config.timeout) as http:
            for form_id in self.config.forms:
                form = self.form(http, form_id)
                out.append(
                    {
                        "form": form.id,
                        "title": form.title,
                        "text_fields": [
                            {"ref": r, "question": form.fields[r].title}
                            for r in text_refs(form, self._options)
                        ],
                        "segment_fields": segment_refs(form, self._options),
                    }
                )
        return {"forms": out}

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        state = _load(cursor)
        errors: list[ConnectorError] = []
        with self._client(timeout=self.config.timeout) as http:
            for form_id in self.config.forms:
                if self.context.stopping():
                    return
                try:
                    yield from self._fetch_form(http, form_id, state)
                except ConnectorError as exc:
                    if exc.permanent and "HTTP 401" in exc.message:
                        raise  # the token is bad: every form would fail the same way
                    errors.append(exc)
        if errors:
            if len(errors) == len(self.config.forms):
                raise errors[0]
            raise ConnectorError(
                "; ".join(e.message for e in errors[:3]), hint=errors[0].hint, partial=True
            )

    # -- internals ---------------------------------------------------------------------------
    def _fetch_form(self, http: HttpClient, form_id: str, state: dict[str, Any]) -> Iterator[Batch]:
        form = self.form(http, form_id)
        mark = state.setdefault(form_id, {"since": self._start(), "recent": {}, "walk": None})
        walk = mark["walk"] or {
            "since": mark["since"] - LATE_SECONDS if mark["since"] is not None else None,
            "top": None,
            "before": None,
        }
        options = self._options
        while True:
            params: dict[str, Any] = {"page_size": self.config.page_size}
            if walk["since"] is not None:
                params["since"] = _iso(walk["since"])
            if walk["before"]:
                params["before"] = walk["before"]
            if options.include_partial:
                params["response_type"] = "partial,completed"
            label = f"{form.title!r} ({form.id})"
            page = self._get(http, f"/forms/{form_id}/responses", label, params).get("items")
            page = [r for r in page or [] if isinstance(r, Mapping)]
            items: list[RawItem] = []
            rejected: list[Rejected] = []
            before = walk["before"]
            for response in page:
                token = str(response.get("token") or response.get("response_id") or "")
                when = response_time(response)
                ts = int(when.timestamp()) if when else walk["since"] or 0
                walk["top"] = ts if walk["top"] is None else max(walk["top"], ts)
                if token and token in mark["recent"]:
                    continue  # stored by an earlier walk (the look-back window)
                for out in response_items(form, response, options):
                    if isinstance(out, RawItem):
                        items.append(out)
                    else:
                        rejected.append(out)
                if token:
                    mark["recent"][token] = ts
                    walk["before"] = token
            # a short page is the bottom; so is a page that gave no token to page on with
            done = len(page) < self.config.page_size or walk["before"] == before
            if done:
                if walk["top"] is not None:
                    mark["since"] = max(walk["top"], mark["since"] or 0)
                mark["walk"] = None
            else:
                mark["walk"] = walk
            _prune(mark, walk)
            yield Batch(tuple(items), _dump(state), tuple(rejected))
            if done or self.context.stopping():
                return

    def _start(self) -> int | None:
        if self.config.backfill_days is None:
            return None
        return int((datetime.now(UTC) - timedelta(days=self.config.backfill_days)).timestamp())


def _explain(exc: HttpStatusError, form: str, token_env: str) -> ConnectorError:
    """Typeform's statuses in words, naming the form."""
    if exc.status == 401:
        return ConnectorError(
            f"Typeform refused the token for form {form} (HTTP 401)",
            hint=f"{token_env} must hold a valid personal access token",
            permanent=True,
        )
    if exc.status == 403:
        return ConnectorError(
            f"the token may not read Typeform form {form} (HTTP 403)",
            hint="give the token the responses:read and forms:read scopes, on the account or "
            "workspace that owns the form",
            permanent=True,
        )
    if exc.status == 404:
        return ConnectorError(
            f"Typeform form {form} does not exist (HTTP 404)",
            hint="check the form id in `forms:` (the part after /to/ in the form's URL)",
            permanent=True,
        )
    return ConnectorError(
        f"Typeform form {form}: {exc.message}",
        hint=exc.hint,
        permanent=exc.permanent,
        retry_after=exc.retry_after,
    )


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _prune(mark: dict[str, Any], walk: Mapping[str, Any]) -> None:
    """Keep the tokens a walk can see again: those of the look-back window below the newest
    time seen and, while a walk is under way, every one above its lower end."""
    newest = max(walk["top"] or 0, mark["since"] or 0)
    floor = newest - LATE_SECONDS
    if mark["walk"] is not None and walk["since"] is not None:
        floor = min(floor, walk["since"])
    kept = sorted((t, k) for k, t in mark["recent"].items() if t >= floor)
    mark["recent"] = {k: t for t, k in kept[-MAX_RECENT:]}


def _load(cursor: Cursor | None) -> dict[str, Any]:
    """Per-form marks from a stored cursor; anything unreadable starts that form afresh."""
    forms = cursor.get("forms") if cursor else None
    state: dict[str, Any] = {}
    if not isinstance(forms, Mapping):
        return state
    for form, mark in forms.items():
        if not isinstance(mark, Mapping):
            continue
        since = mark.get("since")
        raw_recent = mark.get("recent")
        recent: Mapping[str, Any] = raw_recent if isinstance(raw_recent, Mapping) else {}
        walk = mark.get("walk")
        ok_walk = isinstance(walk, Mapping) and {"since", "top", "before"} <= set(walk)
        state[str(form)] = {
            "since": since if isinstance(since, int) else None,
            "recent": {str(k): int(v) for k, v in recent.items() if isinstance(v, int)},
            "walk": dict(walk) if ok_walk and isinstance(walk, Mapping) else None,
        }
    return state


def _dump(state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "v": 1,
        "forms": {
            f: {
                "since": m["since"],
                "recent": dict(m["recent"]),
                "walk": m["walk"] and dict(m["walk"]),
            }
            for f, m in state.items()
        },
    }
