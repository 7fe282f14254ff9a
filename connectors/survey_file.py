"""``survey_file``: free-text answers from survey exports (CSV files, or a folder of them).

Exports are re-downloaded and appended to, so the cursor fingerprints each file (size, mtime,
hash of its first 64 KiB) and remembers the byte offset after the last row it handed over: an
unchanged file costs one ``stat`` and a 64 KiB read, an appended one resumes where it stopped,
a rewritten one is read again (the store dedupes by external id). Rows are streamed from the
binary file line by line, so the size of an export does not matter.
"""

from __future__ import annotations

import builtins
import codecs
import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal

import structlog
from pydantic import Field, field_validator, model_validator

from connectors.base import (
    Batch,
    ConnectorConfig,
    ConnectorContext,
    ConnectorError,
    Cursor,
    RawItem,
)
from connectors.survey_formats import (
    DEFAULT_ID_COLUMNS,
    DEFAULT_TIME_COLUMNS,
    HEAD_BYTES,
    Column,
    Header,
    detect_encoding,
    parse_header,
    parse_timestamp,
    reject_binary,
    zone,
)

log = structlog.get_logger(__name__)

_SUFFIXES = {".csv", ".tsv"}
_DELIMITERS = (",", "\t", ";")


class SurveyFileConfig(ConnectorConfig):
    """Config keys of a ``type: survey_file`` source (their names are part of the product)."""

    path: str
    text_columns: list[str] = Field(min_length=1)
    prompts: dict[str, Literal["pain", "aspiration"]] = Field(default_factory=dict)
    """Text column → what its question asks for ("What is the hardest part of your week?":
    pain). The answers are then read as that kind unless they say there is nothing to report."""
    id_column: str | None = None
    time_column: str | None = None
    segment_columns: dict[str, str] = Field(default_factory=dict)
    format: Literal[
        "auto", "plain", "typeform", "surveymonkey", "google_forms", "qualtrics", "limesurvey"
    ] = "auto"
    encoding: str = "auto"
    timezone: str = "UTC"  # for times the export writes without a zone
    day_first: bool = False  # 05/10/2026 is 5 October, not May 10
    batch_size: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _prompts_name_text_columns(self) -> SurveyFileConfig:
        unknown = [column for column in self.prompts if column not in self.text_columns]
        if unknown:
            raise ValueError(f"prompts names columns not in text_columns: {', '.join(unknown)}")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r} (try utf-8 or cp1252)") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except ConnectorError as exc:
            raise ValueError(str(exc)) from exc
        return value


class SurveyFileConnector:
    """Survey responses from CSV exports (Qualtrics, SurveyMonkey, Typeform, Google Forms...)."""

    type: ClassVar[str] = "survey_file"

    Config: ClassVar[builtins.type[ConnectorConfig]] = SurveyFileConfig

    def __init__(self, config: SurveyFileConfig, context: ConnectorContext) -> None:
        self.config = config
        self.context = context
        self._tz = zone(config.timezone)
        self._warned: set[str] = set()  # files whose unreadable timestamps were logged

    # ---- files ---------------------------------------------------------------------------------

    def files(self) -> list[tuple[str, Path]]:
        """(cursor key, path) of each export: the file itself, or a folder's CSV/TSV files."""
        root = self.context.resolve(self.config.path)
        if root.is_file():
            return [(root.name, root)]
        if root.is_dir():
            return [
                (p.name, p)
                for p in sorted(root.iterdir())
                if p.is_file()
                and p.suffix.lower() in _SUFFIXES
                and not p.name.startswith((".", "~$"))
            ]
        raise ConnectorError(
            f"survey file or folder {str(root)!r} does not exist",
            hint=(
                f"path {self.config.path!r} is relative to the config file's folder "
                f"({self.context.base_dir}); give an absolute path or fix it there"
            ),
        )  # not permanent: an export job may simply not have dropped the file yet

    def headers(self) -> dict[str, Header]:
        """Each export's parsed header: what a config may name (for tools and error messages)."""
        out = {}
        for name, path in self.files():
            with _Export.open(path, self.config.encoding, scan=False) as export:
                out[name] = export.read_header(self.config.format)
        return out

    def check(self) -> None:
        files = self.files()
        if not files:
            raise ConnectorError(
                f"folder {str(self.context.resolve(self.config.path))!r} has no .csv or .tsv files",
                hint="put the survey exports there, or point path at one file",
                permanent=True,
            )
        for _, path in files:
            with _Export.open(path, self.config.encoding, scan=False) as export:
                self._plan(export.read_header(self.config.format), path.name)

    # ---- fetching ------------------------------------------------------------------------------

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        files = self.files()
        if not files:
            log.warning("survey folder is empty", source=self.context.source_name)
        present = {name for name, _ in files}
        old = dict(cursor.get("files", {})) if cursor else {}
        state: dict[str, Any] = {k: v for k, v in old.items() if k in present}
        for name, path in files:
            yield from self._fetch_file(name, path, state)

    def _fetch_file(self, name: str, path: Path, state: dict[str, Any]) -> Iterator[Batch]:
        st = path.stat()
        prev = state.get(name)
        offset, rows_done = _resume_point(path, st.st_size, st.st_mtime_ns, prev)
        if (
            prev is not None
            and offset == prev.get("offset")
            and offset >= st.st_size
            and (prev.get("size"), prev.get("mtime_ns")) == (st.st_size, st.st_mtime_ns)
        ):
            return  # unchanged
        fingerprint = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "head_sha256": _head_hash(path, min(HEAD_BYTES, st.st_size)),
        }
        # keyed by external id: a response id repeated in one batch is one item (the last)
        pending: dict[str, RawItem] = {}
        position = {**fingerprint, "offset": offset, "rows_done": rows_done}
        with _Export.open(path, self.config.encoding, resume_at=offset) as export:
            plan = self._plan(export.read_header(self.config.format), name)
            for row_no, row, end in export.rows(offset, rows_done, stop=st.st_size):
                pending.update((i.external_id, i) for i in self._items(plan, name, row_no, row))
                position = {**fingerprint, "offset": end, "rows_done": row_no}
                if len(pending) >= self.config.batch_size:
                    state[name] = position
                    yield Batch(tuple(pending.values()), {"files": dict(state)})
                    pending = {}
        if pending or state.get(name) != position:
            state[name] = position
            yield Batch(tuple(pending.values()), {"files": dict(state)})

    def _plan(self, header: Header, file: str) -> _Plan:
        cfg = self.config
        texts = tuple(header.find(n, role="text column", file=file) for n in cfg.text_columns)
        id_col: Column | None
        time_col: Column | None
        if cfg.id_column:
            id_col = header.find(cfg.id_column, role="id_column", file=file)
        else:
            id_col = header.find_default(DEFAULT_ID_COLUMNS[header.format])
        if cfg.time_column:
            time_col = header.find(cfg.time_column, role="time_column", file=file)
        else:
            time_col = header.find_default(DEFAULT_TIME_COLUMNS[header.format])
        segments = tuple(
            (header.find(col, role="segment column", file=file), tag)
            for col, tag in cfg.segment_columns.items()
        )
        time_tz = self._tz
        if time_col is not None and time_col.timezone:
            try:
                time_tz = zone(time_col.timezone)
            except ConnectorError:
                log.warning("unknown time zone in export", file=file, zone=time_col.timezone)
        prompts = {
            col.key: cfg.prompts[name]
            for name, col in zip(cfg.text_columns, texts, strict=True)
            if name in cfg.prompts
        }
        return _Plan(header, texts, id_col, time_col, time_tz, segments, prompts)

    def _items(self, plan: _Plan, file: str, row_no: int, row: list[str]) -> Iterator[RawItem]:
        def cell(col: Column | None) -> str:
            return row[col.index].strip() if col is not None and col.index < len(row) else ""

        answers = [(col, cell(col)) for col in plan.texts]
        if not any(text for _, text in answers):
            return
        response_id = cell(plan.id_col) or _row_hash(row)
        created = None
        if plan.time_col is not None and (raw_time := cell(plan.time_col)):
            created = parse_timestamp(raw_time, plan.time_tz, day_first=self.config.day_first)
            if created is None and file not in self._warned:
                self._warned.add(file)
                log.warning("unreadable survey timestamp", file=file, row=row_no, value=raw_time)
        segment = {tag: value for col, tag in plan.segments if (value := cell(col))}
        for col, text in answers:
            if text:
                yield RawItem(
                    external_id=f"{response_id}:{col.key}",
                    text=text,
                    title=col.title,
                    # One respondent, however many questions they answered: distinct-author
                    # counts must not count a response's answers as different people.
                    author=f"response:{response_id}",
                    created_at=created,
                    kind="response",
                    prompt=plan.prompts.get(col.key),
                    segment=segment,
                    metadata={
                        "file": file,
                        "row": row_no,
                        "column": col.key,
                        "format": plan.header.format,
                    },
                )


@dataclass(frozen=True, slots=True)
class _Plan:
    """The configured columns, resolved against one file's header."""

    header: Header
    texts: tuple[Column, ...]
    id_col: Column | None
    time_col: Column | None
    time_tz: tzinfo
    segments: tuple[tuple[Column, str], ...]
    prompts: Mapping[str, str]
    """Column key → pain | aspiration, for columns whose question asks for one."""


def _row_hash(row: list[str]) -> str:
    """A response id for exports without one: stable while the row's answers are."""
    digest = hashlib.sha256(json.dumps(row, ensure_ascii=False).encode()).hexdigest()
    return f"row-{digest[:16]}"


def _head_hash(path: Path, length: int) -> str:
    with path.open("rb") as fh:
        return hashlib.sha256(fh.read(length)).hexdigest()


def _resume_point(
    path: Path, size: int, mtime_ns: int, prev: Mapping[str, Any] | None
) -> tuple[int, int]:
    """(byte offset, rows done) to continue from: 0 unless the file is the same or only grew."""
    if not prev:
        return 0, 0
    try:
        offset, rows = int(prev["offset"]), int(prev["rows_done"])
        old_size, old_mtime, old_hash = (
            int(prev["size"]),
            int(prev["mtime_ns"]),
            prev["head_sha256"],
        )
    except (KeyError, TypeError, ValueError):
        return 0, 0  # a cursor from another version: read again, the store dedupes
    if size < offset or _head_hash(path, min(HEAD_BYTES, old_size)) != old_hash:
        return 0, 0  # rewritten
    if size > old_size or (size == old_size and mtime_ns == old_mtime):
        return offset, rows  # appended, or the same file
    return 0, 0  # same size, new mtime, or shrunk: rewritten


class _Export:
    """One export file opened for streaming: encoding, delimiter and byte offsets of rows."""

    def __init__(self, path: Path, fh: BinaryIO, encoding: str, errors: str, start: int) -> None:
        self.path, self.fh, self.encoding, self.errors, self.start = (
            path,
            fh,
            encoding,
            errors,
            start,
        )
        self.delimiter = ","
        self.data_offset = start
        self._pos = start

    @classmethod
    def open(cls, path: Path, encoding: str, *, resume_at: int = 0, scan: bool = True) -> _Export:
        """Open ``path``; ``scan`` reads it to the end to tell UTF-8 from Windows-1252."""
        fh = path.open("rb")
        try:
            head = fh.read(HEAD_BYTES)
            reject_binary(path, head)
            bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
            enc, errors = encoding, "strict"
            if encoding == "auto":
                enc, errors = detect_encoding(fh, head, resume_at if scan else -1)
                if enc != "utf-8":
                    log.warning(
                        "survey export is not UTF-8: decoding as Windows-1252", file=path.name
                    )
            elif encoding.replace("-", "").replace("_", "").lower() in {"utf8sig", "utf8"}:
                enc = "utf-8"
            return cls(path, fh, enc, errors, bom)
        except BaseException:
            fh.close()
            raise

    def __enter__(self) -> _Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def _lines(self, start: int, stop: int | None) -> Iterator[str]:
        self.fh.seek(start)
        self._pos = start
        for raw in self.fh:
            if stop is not None and self._pos >= stop:
                return
            try:
                line = raw.decode(self.encoding, self.errors)
            except UnicodeDecodeError as exc:
                raise ConnectorError(
                    f"{self.path.name} is not valid {self.encoding} near byte "
                    f"{self._pos + exc.start}",
                    hint="set encoding: auto, or the encoding the survey tool exported with",
                    permanent=True,
                ) from exc
            self._pos += len(raw)
            yield line

    def read_header(self, fmt: str) -> Header:
        """Parse the header rows and remember where the data rows begin."""
        self.fh.seek(self.start)
        head = self.fh.read(HEAD_BYTES).decode(self.encoding, "replace")
        self.delimiter = max(_DELIMITERS, key=lambda d: _fields_in_first_record(head, d))
        reader = csv.reader(self._lines(self.start, None), delimiter=self.delimiter)
        rows: list[list[str]] = []
        ends: list[int] = []
        for row in reader:
            rows.append(row)
            ends.append(self._pos)
            if len(rows) == 3:
                break
        header = parse_header(rows, fmt, file=self.path.name)
        self.data_offset = ends[header.rows - 1]
        return header

    def rows(
        self, offset: int, rows_done: int, *, stop: int
    ) -> Iterator[tuple[int, list[str], int]]:
        """(data row number, cells, byte offset after the row), from ``offset`` up to ``stop``."""
        start = max(offset, self.data_offset)
        reader = csv.reader(self._lines(start, stop), delimiter=self.delimiter)
        row_no = rows_done if start == offset else 0
        try:
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                row_no += 1
                yield row_no, row, self._pos
        except csv.Error as exc:
            raise ConnectorError(
                f"{self.path.name}: malformed CSV after data row {row_no}: {exc}",
                hint="re-export the file; if it was edited by hand, check its quotes",
            ) from exc


def _fields_in_first_record(head: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), []))
    except csv.Error:
        return 0
