"""Survey export layouts: which tool wrote a CSV, what its header rows mean, its times and bytes.

Survey tools do not agree on much. Qualtrics writes three header rows (export tag, question
text, ``{"ImportId": ...}``) or, in its legacy format, two (``V1..Vn`` and the names);
SurveyMonkey writes the question on row one and a sub-header ("Response", "Open-Ended
Response", "Other (please specify)", a choice label) on row two; Typeform, Google Forms and
LimeSurvey write one. This module turns those rows into ``Column``s with one stable ``key``
each (used in external ids) and the other names a marketer may type in the config.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import ConnectorError

FORMATS = ("plain", "typeform", "surveymonkey", "google_forms", "qualtrics", "limesurvey")

# SurveyMonkey sub-headers that mean "the answer to the question itself".
_SM_PLAIN_SUBHEADERS = {"response", "open-ended response"}
_SM_ID_NAMES = {"respondent id", "respondentid"}
# Google Forms' first column in a few interface languages.
_GF_TIMESTAMP_NAMES = {
    "timestamp",
    "marca temporal",
    "zeitstempel",
    "horodateur",
    "carimbo de data/hora",
}

# Columns each tool uses for the response id and the submission time, in order of preference.
DEFAULT_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "qualtrics": ("ResponseId", "ResponseID", "_recordId"),
    "surveymonkey": ("Respondent ID", "RespondentID"),
    "typeform": ("#", "Response ID", "Token"),
    "limesurvey": ("Response ID",),
    "google_forms": (),
    "plain": ("Response ID", "ResponseId", "Respondent ID", "id"),
}
DEFAULT_TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "qualtrics": ("RecordedDate", "EndDate"),
    "surveymonkey": ("End Date", "Date Modified", "Start Date"),
    "typeform": ("Submit Date (UTC)", "Submitted At", "Start Date (UTC)"),
    "limesurvey": ("Date submitted", "Date last action"),
    "google_forms": tuple(sorted(_GF_TIMESTAMP_NAMES)),
    "plain": ("Submitted At", "Submit Date", "Timestamp", "created_at"),
}


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column: ``key`` is stable (external ids use it), ``title`` is for people."""

    index: int
    key: str
    title: str
    aliases: tuple[str, ...] = ()
    timezone: str | None = None  # the export's own statement (Qualtrics ImportId), if any

    def names(self) -> tuple[str, ...]:
        return (self.key, self.title, *self.aliases)


@dataclass(frozen=True, slots=True)
class Header:
    """The parsed header of one export: its layout, how many rows it takes, its columns."""

    format: str
    rows: int
    columns: tuple[Column, ...]

    def find(self, name: str, *, role: str, file: str) -> Column:
        """The column a config names (key, question text or any header row), else a clear error."""
        norm = _normalise(name)
        levels = (
            [c for c in self.columns if c.key == name],
            [c for c in self.columns if name in c.names()],
            [c for c in self.columns if _normalise(c.key) == norm],
            [c for c in self.columns if norm in {_normalise(n) for n in c.names()}],
        )
        for matches in levels:
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                keys = ", ".join(repr(c.key) for c in matches[:10])
                raise ConnectorError(
                    f"{role} {name!r} matches {len(matches)} columns of {file}: {keys}",
                    hint="use one of those exact names in the config",
                    permanent=True,
                )
        raise ConnectorError(
            f"{role} {name!r} is not a column of {file} ({self.format} export)",
            hint=self.describe_choices(name),
            permanent=True,
        )

    def find_default(self, names: Sequence[str]) -> Column | None:
        """The first of a tool's usual columns that this header has (exact or normalised name)."""
        for name in names:
            for col in self.columns:
                if name in col.names() or _normalise(name) in {_normalise(n) for n in col.names()}:
                    return col
        return None

    def describe_choices(self, name: str) -> str:
        labels = list(dict.fromkeys(n for c in self.columns for n in (c.key, c.title) if n))
        close = difflib.get_close_matches(name, labels, n=3, cutoff=0.4)
        shown = ", ".join(repr(c.key) for c in self.columns[:40])
        more = len(self.columns) - 40
        tail = f", … and {more} more" if more > 0 else ""
        closest = f"closest match: {', '.join(map(repr, close))}; " if close else ""
        return f"{closest}available columns: {shown}{tail}"


def _normalise(name: str) -> str:
    return " ".join(name.replace("\u00a0", " ").split()).casefold()


def _is_import_id(cell: str) -> bool:
    return cell.lstrip().startswith('{"ImportId"')


def detect_format(rows: Sequence[Sequence[str]]) -> str:
    """Which tool wrote this export, from its first (up to three) rows."""
    first = [c.strip() for c in rows[0]] if rows else []
    second = [c.strip() for c in rows[1]] if len(rows) > 1 else []
    lowered = {c.casefold() for c in first}
    if len(rows) > 2 and rows[2] and sum(map(_is_import_id, rows[2])) >= len(rows[2]) // 2 + 1:
        return "qualtrics"
    if first[:1] == ["V1"] and "ResponseID" in second:
        return "qualtrics"
    if lowered & _SM_ID_NAMES:
        return "surveymonkey"
    if "network id" in lowered or (first[:1] == ["#"] and any("(UTC)" in c for c in first)):
        return "typeform"
    if first and first[0].casefold() in _GF_TIMESTAMP_NAMES:
        return "google_forms"
    if first[:1] == ["Response ID"] and "date submitted" in lowered:
        return "limesurvey"
    return "plain"


def parse_header(rows: Sequence[Sequence[str]], fmt: str, *, file: str) -> Header:
    """Columns of an export whose layout is ``fmt`` (``auto`` detects it)."""
    if not rows or not any(c.strip() for c in rows[0]):
        raise ConnectorError(
            f"{file} has no header row",
            hint="export the survey with column headers (the question texts) on the first row",
            permanent=True,
        )
    if fmt == "auto":
        fmt = detect_format(rows)
    if fmt == "qualtrics":
        if len(rows) > 2 and sum(map(_is_import_id, rows[2])) >= len(rows[2]) // 2 + 1:
            return _qualtrics(rows, three_rows=True)
        if len(rows) > 1 and "ResponseID" in [c.strip() for c in rows[1]]:
            return _qualtrics(rows, three_rows=False)
        raise ConnectorError(
            f"{file} does not look like a Qualtrics export (no ImportId row, no legacy V1 row)",
            hint="use format: auto, or plain for a one-row header",
            permanent=True,
        )
    if fmt == "surveymonkey" and _surveymonkey_has_subheader(rows):
        return _surveymonkey(rows)
    return _one_row(rows[0], fmt)


def _unique(columns: list[Column]) -> tuple[Column, ...]:
    """Give repeated keys a ``#2``, ``#3`` suffix so that each key names one column."""
    seen: dict[str, int] = {}
    out = []
    for col in columns:
        key = col.key or f"column {col.index + 1}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key} #{seen[key]}"
        out.append(Column(col.index, key, col.title or key, col.aliases, col.timezone))
    return tuple(out)


def _one_row(first: Sequence[str], fmt: str) -> Header:
    cols = [Column(i, c.strip(), c.strip()) for i, c in enumerate(first)]
    return Header(fmt, 1, _unique(cols))


def _surveymonkey_has_subheader(rows: Sequence[Sequence[str]]) -> bool:
    """Row two is a sub-header (not a response) when its id cell is empty and it names parts."""
    if len(rows) < 2:
        return False
    first = [c.strip().casefold() for c in rows[0]]
    second = [c.strip() for c in rows[1]]
    id_at = next((i for i, c in enumerate(first) if c in _SM_ID_NAMES), 0)
    id_cell = second[id_at] if id_at < len(second) else ""
    return not id_cell and any(c.casefold() in _SM_PLAIN_SUBHEADERS for c in second)


def _surveymonkey(rows: Sequence[Sequence[str]]) -> Header:
    questions, subs = rows[0], rows[1]
    cols: list[Column] = []
    question = ""
    for i, raw in enumerate(questions):
        if raw.strip():
            question = raw.strip()
        sub = subs[i].strip() if i < len(subs) else ""
        if not sub or sub.casefold() in _SM_PLAIN_SUBHEADERS:
            key = question
        else:
            key = f"{question} - {sub}"
        cols.append(Column(i, key, key, tuple(a for a in (question, sub) if a)))
    return Header("surveymonkey", 2, _unique(cols))


def _qualtrics(rows: Sequence[Sequence[str]], *, three_rows: bool) -> Header:
    tags, texts = rows[0], rows[1]
    cols: list[Column] = []
    for i, raw in enumerate(tags):
        tag = raw.strip()
        text = texts[i].strip() if i < len(texts) else ""
        aliases = [text]
        tz = None
        if three_rows and i < len(rows[2]):
            try:
                meta = json.loads(rows[2][i])
            except ValueError:
                meta = {}
            if isinstance(meta, dict):
                if isinstance(meta.get("ImportId"), str):
                    aliases.append(meta["ImportId"])
                if isinstance(meta.get("timeZone"), str):
                    tz = meta["timeZone"]
        key = tag
        if not three_rows and re.fullmatch(r"V\d+", tag) and text:
            key, aliases = text, [tag]  # legacy: V1..V10 are positions, row two has the name
        cols.append(Column(i, key, text or key, tuple(a for a in aliases if a), tz))
    return Header("qualtrics", 3 if three_rows else 2, _unique(cols))


# ---- time -------------------------------------------------------------------------------------

_US_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p",
)
_DAY_FIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
_OTHER_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d %b %Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
)
# Zone abbreviations Google Forms and SurveyMonkey append; ambiguous ones are left out.
_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "BST": 1, "EET": 2, "EEST": 3,
}  # fmt: skip
_TZ_SUFFIX = re.compile(r"\s+(?:(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?|([A-Z]{1,5}))$")


def zone(name: str | None) -> tzinfo:
    """A tzinfo for an IANA name or ``Z``/``UTC``; an unknown name is a config error."""
    if not name or name in {"Z", "UTC", "GMT"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConnectorError(
            f"unknown time zone {name!r}",
            hint="use an IANA name such as Europe/Berlin or America/New_York",
            permanent=True,
        ) from exc


def parse_timestamp(value: str, default_tz: tzinfo, *, day_first: bool = False) -> datetime | None:
    """A UTC datetime from the time formats survey tools write; None when it is not one."""
    text = value.strip()
    if not text:
        return None
    tz = default_tz
    m = _TZ_SUFFIX.search(text)
    if m and not re.fullmatch(r"\d{4}-\d\d-\d\d.*", text):
        sign, hours, minutes, abbr = m.groups()
        if abbr is None:
            delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
            tz = timezone(delta if sign == "+" else -delta)
            text = text[: m.start()]
        elif abbr in _ABBREVIATIONS:
            tz = timezone(timedelta(hours=_ABBREVIATIONS[abbr]))
            text = text[: m.start()]
        elif abbr not in {"AM", "PM"}:
            text = text[: m.start()]  # an abbreviation we cannot place: the default zone
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        formats = (
            (*_DAY_FIRST_FORMATS, *_US_FORMATS)
            if day_first
            else (*_US_FORMATS, *_DAY_FIRST_FORMATS)
        )
        for fmt in (*formats, *_OTHER_FORMATS):
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


# ---- bytes ------------------------------------------------------------------------------------

HEAD_BYTES = 64 * 1024


def _c1_passthrough(exc: UnicodeError) -> tuple[str, int]:
    """Bytes cp1252 leaves undefined (0x81, 0x8D...) become U+0081..., as browsers do."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("listener-c1", _c1_passthrough)


def reject_binary(path: Path, head: bytes) -> None:
    """Refuse workbooks and UTF-16 up front: parsed as CSV they would yield garbage, not errors."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ConnectorError(
            f"{path.name} is an Excel workbook, not a CSV file",
            hint="export the survey as CSV (or save the sheet as CSV UTF-8)",
            permanent=True,
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        raise ConnectorError(
            f"{path.name} is UTF-16 or binary, not a text CSV",
            hint="export as CSV UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)')",
            permanent=True,
        )


def detect_encoding(fh: BinaryIO, head: bytes, resume_at: int) -> tuple[str, str]:
    """UTF-8 if the bytes to read decode as UTF-8, else Windows-1252 (which never fails).

    The first 64 KiB (the header) are always checked; then the rest from ``resume_at``, which is
    a line start and so a character boundary; ``resume_at < 0`` checks the head only.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < HEAD_BYTES)
        if resume_at >= 0:
            if resume_at > len(head):
                decoder.reset()
            fh.seek(max(resume_at, len(head)))
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk, final=False)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252", "listener-c1"
    return "utf-8", "strict"
