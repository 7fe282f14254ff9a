"""Which columns of one export are read, and how a data row becomes items (or a reject).

A ``Plan`` resolves the config (or, without ``text_columns``, the automatic choice) against one
export's header. ``row_items`` turns a row into one item per answered text column, sharing the
response's id, time and segment, or says why the row cannot be stored: no id and no text, or a
response id seen before in the file with different answers (the first one is kept; a later row
must not silently overwrite it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from connectors.base import ConnectorError, RawItem, SurveyRef
from connectors.segments import SegmentMapper
from connectors.survey_csv import Record
from connectors.survey_formats import (
    DEFAULT_ID_COLUMNS,
    DEFAULT_TIME_COLUMNS,
    Column,
    Header,
    parse_timestamp,
    zone,
)
from connectors.survey_mapping import SAMPLE_ROWS, ColumnChoice, FileMapping, choose

if TYPE_CHECKING:
    from connectors.configs.survey_file import SurveyFileConfig

log = structlog.get_logger(__name__)


class Reader(Protocol):
    """A readable export: a CSV file or one sheet of a workbook."""

    @property
    def name(self) -> str:
        """The cursor key and the name rejects are reported under."""
        ...

    def read_header(self, fmt: str) -> Header: ...

    def sample(self, limit: int) -> list[list[str]]: ...

    def records(
        self, offset: int, rows_done: int, *, stop: int | None, width: int | None, settled: bool
    ) -> Iterator[Record]: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """The columns read from one export, resolved against its header."""

    file: str
    header: Header
    texts: tuple[Column, ...]
    id_col: Column | None
    time_col: Column | None
    time_tz: tzinfo
    segments: tuple[tuple[Column, str], ...]
    prompts: Mapping[str, str]
    """Column key → pain | aspiration, for columns whose question asks for one."""
    mapping: FileMapping
    configured_found: frozenset[str]
    """The configured text column names this export has."""


def _resolve(
    header: Header, names: list[str], role: str, file: str, strict: bool
) -> list[tuple[str, Column]]:
    """(name, column) pairs; in a folder (not ``strict``) a name this export lacks is skipped."""
    found: list[tuple[str, Column]] = []
    first_error: ConnectorError | None = None
    for name in names:
        try:
            found.append((name, header.find(name, role=role, file=file)))
        except ConnectorError as exc:
            if strict or "matches" in exc.message:
                raise
            first_error = first_error or exc
    if names and not found and first_error is not None:
        raise first_error
    return found


def make_plan(
    cfg: SurveyFileConfig, header: Header, reader: Reader, default_tz: tzinfo, *, single_file: bool
) -> Plan:
    file = reader.name
    auto: FileMapping | None = None
    prompts: dict[str, str] = {}
    if cfg.text_columns:
        pairs = _resolve(header, cfg.text_columns, "text column", file, single_file)
        texts = [col for _, col in pairs]
        found = frozenset(name for name, _ in pairs)
        prompts = {col.key: cfg.prompts[name] for name, col in pairs if name in cfg.prompts}
    else:
        auto = choose(header, reader.sample(SAMPLE_ROWS), file)
        by_key = {c.key: c for c in header.columns}
        texts = [by_key[c.column] for c in auto.of("text")]
        found = frozenset()
        prompts = {
            col.key: kind
            for col in texts
            for name, kind in cfg.prompts.items()
            if name in col.names()
        }
        if not texts:
            raise ConnectorError(
                f"{file}: no column looks like free-text answers ({auto.rows_sampled} rows read)",
                hint="name the questions to read in text_columns; `listener check` lists why "
                "each column was skipped",
                permanent=True,
            )
    id_col = (
        header.find(cfg.id_column, role="id_column", file=file)
        if cfg.id_column
        else header.find_default(DEFAULT_ID_COLUMNS[header.format])
    )
    time_col = (
        header.find(cfg.time_column, role="time_column", file=file)
        if cfg.time_column
        else header.find_default(DEFAULT_TIME_COLUMNS[header.format])
    )
    if auto is not None and time_col is None and not cfg.time_column and auto.of("time"):
        time_col = next(c for c in header.columns if c.key == auto.of("time")[0].column)
    segments: tuple[tuple[Column, str], ...] = ()
    if cfg.segment_columns is not None:
        pairs = _resolve(header, list(cfg.segment_columns), "segment column", file, single_file)
        segments = tuple((col, cfg.segment_columns[name]) for name, col in pairs)
    elif auto is not None:
        by_key = {c.key: c for c in header.columns}
        segments = tuple((by_key[c.column], c.tag or c.column) for c in auto.of("segment"))
    time_tz = default_tz
    if time_col is not None and time_col.timezone:
        try:
            time_tz = zone(time_col.timezone)
        except ConnectorError:
            log.warning("unknown time zone in export", file=file, zone=time_col.timezone)
    mapping = auto or _configured_mapping(file, header, texts, id_col, time_col, segments)
    return Plan(
        file, header, tuple(texts), id_col, time_col, time_tz, segments, prompts, mapping, found
    )


def _configured_mapping(
    file: str,
    header: Header,
    texts: list[Column],
    id_col: Column | None,
    time_col: Column | None,
    segments: tuple[tuple[Column, str], ...],
) -> FileMapping:
    chosen = [ColumnChoice(c.key, "text", "configured in text_columns") for c in texts]
    if id_col is not None:
        chosen.append(ColumnChoice(id_col.key, "id", "response id"))
    if time_col is not None:
        chosen.append(ColumnChoice(time_col.key, "time", "submission time"))
    chosen += [ColumnChoice(c.key, "segment", "configured", tag=t) for c, t in segments]
    return FileMapping(file, header.format, 0, tuple(chosen), automatic=False)


def row_hash(row: list[str]) -> str:
    """A response id for exports without one: stable while the row's answers are."""
    digest = hashlib.sha256(json.dumps(row, ensure_ascii=False).encode()).hexdigest()
    return f"row-{digest[:16]}"


def row_items(
    plan: Plan,
    row_no: int,
    row: list[str],
    seen: dict[str, tuple[int, str]],
    options: Mapping[str, Any],
) -> tuple[list[RawItem], str | None]:
    """The items of one data row, or the reason it is rejected."""

    def cell(col: Column | None) -> str:
        return row[col.index].strip() if col is not None and col.index < len(row) else ""

    answers = [(col, cell(col)) for col in plan.texts]
    response_id = cell(plan.id_col)
    when = cell(plan.time_col)
    if not any(text for _, text in answers):
        judged = plan.id_col is not None or plan.time_col is not None
        if judged and not response_id and not when:
            return [], "no response id and no answer text: not a response"
        return [], None  # a response that left the open questions empty
    if response_id:
        digest = hashlib.sha256(json.dumps([t for _, t in answers]).encode()).hexdigest()
        earlier = seen.get(response_id)
        if earlier is not None:
            if earlier[1] == digest:
                return [], None  # the same response exported twice: nothing new
            return [], (
                f"duplicate response id {response_id!r} with different answers (row "
                f"{earlier[0]} has the first, which is kept)"
            )
        seen[response_id] = (row_no, digest)
    else:
        response_id = row_hash(row)
    created = None
    if when:
        created = parse_timestamp(when, plan.time_tz, day_first=bool(options.get("day_first")))
        warned: set[str] = options.get("warned", set())
        if created is None and plan.file not in warned:
            warned.add(plan.file)
            log.warning("unreadable survey timestamp", file=plan.file, row=row_no, value=when)
    mapper: SegmentMapper = options.get("segments") or SegmentMapper()
    segment = {tag: mapper(tag, value) for col, tag in plan.segments if (value := cell(col))}
    items = [
        RawItem(
            external_id=f"{response_id}:{col.key}",
            text=text,
            title=col.title,
            created_at=created,
            kind="response",
            prompt=plan.prompts.get(col.key),
            segment=segment,
            metadata={
                "file": plan.file,
                "row": row_no,
                "column": col.key,
                "format": plan.header.format,
            },
            survey=SurveyRef(plan.file, col.title, col.key, response_id),
        )
        for col, text in answers
        if text
    ]
    return items, None
