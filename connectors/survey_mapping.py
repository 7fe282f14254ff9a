"""Choosing an export's columns from its data when the config names none.

Free-text questions are the ones worth reading: long, varied, mostly non-numeric answers. Ids,
e-mail addresses, links, dates, numbers, choice lists and the tools' own bookkeeping columns are
not. Segment columns are those with few distinct values whose question names a segment the
personas use (company size, industry, country or region, role). Every column gets a reason, and
``render_yaml`` prints the choice as config keys the user can paste to pin or correct it.

The choice is made from the first ``SAMPLE_ROWS`` data rows, which do not change as an export
grows, so the same file maps the same way on every run.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

from connectors.survey_formats import (
    DEFAULT_ID_COLUMNS,
    DEFAULT_TIME_COLUMNS,
    Column,
    Header,
    parse_timestamp,
)

SAMPLE_ROWS = 1000
MIN_TEXT_WORDS = 4.0
"""Median words of an answer for a column to count as free text ("Spreadsheets" is a choice)."""
MAX_SEGMENT_VALUES = 60

Role = Literal["text", "segment", "id", "time", "skip"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?[$€£]?\s?\d[\d,. ]*%?$")
_WORD = re.compile(r"\w+")

# Bookkeeping columns of the tools (normalised names): never customer text or segments.
_METADATA = re.compile(
    r"^(ip ?address|e-?mail ?(address)?|recipient.*|first name|last name|name|collector id|"
    r"network id|start ?date.*|end ?date.*|date (submitted|started|last action)|submit date.*|"
    r"submitted at|status|response type|progress|duration.*|finished|recorded ?date|"
    r"response ?id|respondent ?id|distribution ?channel|user ?language|"
    r"location ?(latitude|longitude|accuracy)|"
    r"external ?(data )?reference|externaldatareference|response ?set|last page|"
    r"start language|seed|token|custom data.*|custom variable.*|utm_.*|#|id|timestamp|"
    r"v\d+|q_.*|_recordid|landing id|tags|score|ending)$"
)
_SEGMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "company_size",
        re.compile(
            r"company size|size of (your |the )?(company|business|organi[sz]ation|team)|"
            r"employees|people work|team size|headcount|organi[sz]ation size|number of staff"
        ),
    ),
    ("industry", re.compile(r"industry|sector|line of business")),
    ("region", re.compile(r"country|region|where do you live|based in|\blocation\b")),
    ("role", re.compile(r"\brole\b|job title|job function|position|department|occupation")),
)


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """What one column is used for, and why."""

    column: str
    """The column's key: the name to write in the config."""
    role: Role
    reason: str
    tag: str | None = None
    title: str = ""
    """The question text, when the key is something else (a Qualtrics QID)."""
    """The segment tag, for ``role == "segment"``."""


@dataclass(frozen=True, slots=True)
class FileMapping:
    """The columns of one export and the role chosen (or configured) for each."""

    file: str
    format: str
    rows_sampled: int
    columns: tuple[ColumnChoice, ...]
    automatic: bool = True

    def of(self, role: Role) -> list[ColumnChoice]:
        return [c for c in self.columns if c.role == role]

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "format": self.format,
            "rows_sampled": self.rows_sampled,
            "automatic": self.automatic,
            "columns": [
                {"column": c.column, "role": c.role, "tag": c.tag, "reason": c.reason}
                for c in self.columns
            ],
        }


def _norm(name: str) -> str:
    return " ".join(name.replace("\u00a0", " ").split()).casefold()


def segment_tag(name: str) -> str | None:
    """The personas' segment word a question names ("How many people work at…" → company_size)."""
    norm = _norm(name)
    for tag, pattern in _SEGMENTS:
        if pattern.search(norm):
            return tag
    return None


def _share(values: Sequence[str], pattern: re.Pattern[str]) -> float:
    return sum(1 for v in values if pattern.match(v)) / len(values)


def _shown(values: Sequence[str], limit: int = 4) -> str:
    distinct = sorted(set(values), key=lambda v: (-values.count(v), v))
    shown = ", ".join(v if len(v) <= 30 else v[:29] + "…" for v in distinct[:limit])
    return shown + (", …" if len(distinct) > limit else "")


def classify(col: Column, values: Sequence[str], used_tags: set[str]) -> ColumnChoice:
    """The role of a column that is neither the id nor the time column, from its answers."""
    name = col.key
    answers = [v.strip() for v in values if v.strip()]
    n = len(answers)
    if _METADATA.match(_norm(col.key)) or _METADATA.match(_norm(col.title)):
        return ColumnChoice(name, "skip", "survey tool metadata, not an answer")
    if not answers:
        return ColumnChoice(name, "skip", "no answers in the rows read")
    if _share(answers, _EMAIL) >= 0.5:
        return ColumnChoice(name, "skip", "e-mail addresses")
    if _share(answers, _URL) >= 0.5:
        return ColumnChoice(name, "skip", "links")
    if _share(answers, _NUMBER) >= 0.8:
        return ColumnChoice(name, "skip", f"numbers ({_shown(answers)})")
    if sum(1 for v in answers if parse_timestamp(v, UTC) is not None) >= 0.8 * n:
        return ColumnChoice(name, "skip", "dates and times")
    distinct = len(set(answers))
    tag = segment_tag(col.title) or segment_tag(col.key)
    few = distinct <= MAX_SEGMENT_VALUES and (n < 20 or distinct <= n / 2)
    if tag and few:
        if tag in used_tags:
            return ColumnChoice(name, "skip", f"another column already gives {tag}")
        used_tags.add(tag)
        return ColumnChoice(
            name, "segment", f"{distinct} distinct values: {_shown(answers)}", tag=tag
        )
    words = statistics.median(len(_WORD.findall(v)) for v in answers)
    if n >= 10 and distinct < n / 2:
        return ColumnChoice(name, "skip", f"choice list ({distinct} distinct values in {n})")
    if words >= MIN_TEXT_WORDS:
        return ColumnChoice(
            name,
            "text",
            f"free text: {n} answer{'s' if n != 1 else ''}, median {words:g} words, "
            f"{round(100 * distinct / n)}% distinct",
            title=col.title if col.title != col.key else "",
        )
    return ColumnChoice(
        name,
        "skip",
        f"short answers (median {words:g} word{'s' if words != 1 else ''}: "
        f"{_shown(answers, 3)}); add it to text_columns if it is free text",
    )


def choose(header: Header, rows: Sequence[Sequence[str]], file: str) -> FileMapping:
    """Roles for every column of an export from its first rows."""
    id_col = header.find_default(DEFAULT_ID_COLUMNS[header.format])
    time_col = header.find_default(DEFAULT_TIME_COLUMNS[header.format])
    used: set[str] = set()
    out = []
    for col in header.columns:
        if id_col is not None and col.index == id_col.index:
            out.append(ColumnChoice(col.key, "id", f"response id (the {header.format} default)"))
            continue
        if time_col is not None and col.index == time_col.index:
            reason = f"submission time (the {header.format} default)"
            out.append(ColumnChoice(col.key, "time", reason))
            continue
        values = [r[col.index] if col.index < len(r) else "" for r in rows]
        choice = classify(col, values, used)
        if time_col is None and choice.reason == "dates and times":
            time_col = col  # no column of the tool's own: the first column of dates
            choice = ColumnChoice(col.key, "time", "dates and times: used as the submission time")
        out.append(choice)
    return FileMapping(file, header.format, len(rows), tuple(out))


def _q(value: str) -> str:
    """A YAML scalar: JSON strings are valid double-quoted YAML."""
    return json.dumps(value, ensure_ascii=False)


def render_yaml(mappings: Sequence[FileMapping]) -> str:
    """The chosen columns as ``survey_file`` keys, with the reason for each as a comment."""
    lines = ["# columns chosen from the data; paste these keys into the source to pin them"]
    texts: dict[str, list[str]] = {}
    segments: dict[str, tuple[str, list[str]]] = {}
    for m in mappings:
        for c in m.of("text"):
            asks = f"{c.title!r}, " if c.title else ""
            texts.setdefault(c.column, []).append(f"{m.file}: {asks}{c.reason}")
        for c in m.of("segment"):
            segments.setdefault(c.column, (c.tag or "", []))[1].append(f"{m.file}: {c.reason}")
    lines.append("text_columns:" if texts else "text_columns: []  # no free-text column found")
    for column, why in texts.items():
        lines.append(f"  - {_q(column)}  # {'; '.join(why)}")
    if len(mappings) == 1:  # one export: its id and time columns can be pinned too
        for role, key in (("id", "id_column"), ("time", "time_column")):
            for c in mappings[0].of(role):  # type: ignore[arg-type]
                lines.append(f"{key}: {_q(c.column)}  # {c.reason}")
    if segments:
        lines.append("segment_columns:")
        for column, (tag, why) in segments.items():
            lines.append(f"  {_q(column)}: {tag}  # {'; '.join(why)}")
    for m in mappings:
        lines.append(f"# {m.file} ({m.format} export, {m.rows_sampled} rows read):")
        if len(mappings) > 1:
            for c in m.columns:
                if c.role in ("id", "time"):
                    lines.append(f"#   {c.role} column {_q(c.column)}: {c.reason}")
        for c in m.of("skip"):
            lines.append(f"#   skipped {_q(c.column)}: {c.reason}")
    return "\n".join(lines) + "\n"
