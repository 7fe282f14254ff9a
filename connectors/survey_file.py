"""``survey_file``: free-text answers from survey exports (CSV or Excel files, or a folder of them).

Exports are re-downloaded and appended to, so the cursor fingerprints each file (size, mtime,
hash of its first 64 KiB) and remembers where the last row it handed over ended: an unchanged
file costs one ``stat`` and a 64 KiB read, an appended CSV resumes at that byte, a rewritten file
is read again (the store dedupes by external id). Nothing is dropped silently: a row that cannot
be read goes out as a ``Rejected`` with its file, row number and reason, and a file that cannot
be read is reported after the other files of the folder were read.
"""

from __future__ import annotations

import builtins
import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import structlog

from connectors.base import (
    Batch,
    ConnectorConfig,
    ConnectorContext,
    ConnectorError,
    Cursor,
    RawItem,
    Rejected,
)
from connectors.configs.survey_file import SurveyFileConfig
from connectors.segments import SegmentMapper
from connectors.survey_csv import CsvExport
from connectors.survey_formats import HEAD_BYTES, Header, zone
from connectors.survey_mapping import FileMapping, render_yaml
from connectors.survey_plan import Plan, Reader, make_plan, row_items
from connectors.survey_xlsx import XLSX_SUFFIXES, Workbook

log = structlog.get_logger(__name__)

_CSV_SUFFIXES = frozenset({".csv", ".tsv"})
SUFFIXES = _CSV_SUFFIXES | XLSX_SUFFIXES


class SurveyFileConnector:
    """Survey responses from exports (Qualtrics, SurveyMonkey, Typeform, Google Forms...)."""

    type: ClassVar[str] = "survey_file"

    Config: ClassVar[builtins.type[ConnectorConfig]] = SurveyFileConfig

    def __init__(self, config: SurveyFileConfig, context: ConnectorContext) -> None:
        self.config = config
        self.context = context
        self._tz = zone(config.timezone)
        self._segments = SegmentMapper(config.segment_values)
        self._warned: set[str] = set()  # files whose unreadable timestamps were logged

    # ---- files ---------------------------------------------------------------------------------

    @property
    def _root(self) -> Path:
        return self.context.resolve(self.config.path)

    def files(self) -> list[tuple[str, Path]]:
        """(name, path) of each export: the file itself, or a folder's CSV/TSV/XLSX files."""
        root = self._root
        if root.is_file():
            return [(root.name, root)]
        if root.is_dir():
            return [
                (p.name, p)
                for p in sorted(root.iterdir())
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not p.name.startswith((".", "~$"))
            ]
        raise ConnectorError(
            f"survey file or folder {str(root)!r} does not exist",
            hint=(
                f"path {self.config.path!r} is relative to the config file's folder "
                f"({self.context.base_dir}); give an absolute path or fix it there"
            ),
        )  # not permanent: an export job may simply not have dropped the file yet

    @contextmanager
    def _readers(
        self, path: Path, *, scan: bool = True, resume_at: int = 0
    ) -> Iterator[list[Reader]]:
        """The readable parts of one export: the CSV itself, or the workbook's chosen sheets."""
        with ExitStack() as stack:
            if path.suffix.lower() in XLSX_SUFFIXES:
                book = stack.enter_context(Workbook(path))
                yield list(book.sheets(self.config.sheets))
            else:
                export = CsvExport.open(path, self.config.encoding, resume_at=resume_at, scan=scan)
                stack.enter_context(export)
                yield [export]

    def headers(self) -> dict[str, Header]:
        """Each export's parsed header: what a config may name (for tools and error messages)."""
        out = {}
        for _, path in self.files():
            with self._readers(path, scan=False) as readers:
                for reader in readers:
                    out[reader.name] = reader.read_header(self.config.format)
        return out

    def mapping(self) -> list[FileMapping]:
        """The columns each export is read with (chosen from the data unless configured)."""
        out = []
        for _, path in self.files():
            with self._readers(path, scan=False) as readers:
                for reader in readers:
                    out.append(self._plan(reader).mapping)
        return out

    def describe(self) -> dict[str, Any]:
        """For `listener check`: the mapping per file and, when chosen, YAML to paste."""
        mappings = self.mapping()
        automatic = [m for m in mappings if m.automatic]
        return {
            "files": [m.as_dict() for m in mappings],
            "yaml": render_yaml(automatic) if automatic else None,
        }

    def check(self) -> None:
        files = self.files()
        if not files:
            raise ConnectorError(
                f"folder {str(self._root)!r} has no .csv, .tsv or .xlsx files",
                hint="put the survey exports there, or point path at one file",
                permanent=True,
            )
        found: set[str] = set()
        for _, path in files:
            with self._readers(path, scan=False) as readers:
                for reader in readers:
                    found |= self._plan(reader).configured_found
        missing = [c for c in self.config.text_columns or [] if c not in found]
        if missing:  # in a folder, each text column must be in at least one export
            raise ConnectorError(
                f"text column {missing[0]!r} is in none of the exports in {str(self._root)!r}",
                hint="check the spelling against the question texts of the exports",
                permanent=True,
            )

    # ---- fetching ------------------------------------------------------------------------------

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        files = self.files()
        if not files:
            log.warning("survey folder is empty", source=self.context.source_name)
        old = dict(cursor.get("files", {})) if cursor else {}
        state: dict[str, Any] = {}
        for name, _ in files:  # keep the state of present files (and their sheets) only
            state.update({k: v for k, v in old.items() if k == name or k.startswith(name + "#")})
        errors: list[ConnectorError] = []
        read = 0
        for _, path in files:
            try:
                yield from self._fetch_file(path, state)
                read += 1
            except ConnectorError as exc:  # a bad file never stops the other files
                log.warning("survey export failed", file=path.name, error=str(exc))
                errors.append(exc)
        if errors:
            first = errors[0]
            if read == 0:
                raise first
            names = "; ".join(e.message for e in errors[:3])
            raise ConnectorError(
                f"{len(errors)} of {len(files)} exports could not be read: {names}",
                hint=first.hint,
                partial=True,
            )

    def _fetch_file(self, path: Path, state: dict[str, Any]) -> Iterator[Batch]:
        st = path.stat()
        fingerprint = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "head_sha256": _head_hash(path, min(HEAD_BYTES, st.st_size)),
        }
        settled = time.time() - st.st_mtime >= self.config.settle_seconds
        is_csv = path.suffix.lower() in _CSV_SUFFIXES
        prev = state.get(path.name) if is_csv else None
        offset, rows_done = _resume_point(path, fingerprint, prev) if is_csv else (0, 0)
        if (
            is_csv
            and prev is not None
            and offset >= st.st_size
            and offset == prev.get("offset")
            and (prev.get("size"), prev.get("mtime_ns")) == (st.st_size, st.st_mtime_ns)
        ):
            return  # unchanged
        with self._readers(path, resume_at=offset) as readers:
            for reader in readers:
                if not is_csv:
                    prev = state.get(reader.name)
                    if prev and {k: prev.get(k) for k in fingerprint} == fingerprint:
                        if prev.get("complete"):
                            continue  # unchanged workbook
                        rows_done = int(prev.get("rows_done") or 0)
                    else:
                        rows_done = 0
                yield from self._read(
                    reader, fingerprint, offset, rows_done, st.st_size, settled, state, is_csv
                )

    def _read(
        self,
        reader: Reader,
        fingerprint: Mapping[str, Any],
        offset: int,
        rows_done: int,
        size: int,
        settled: bool,
        state: dict[str, Any],
        is_csv: bool,
    ) -> Iterator[Batch]:
        name = reader.name
        plan = self._plan(reader)
        pending: dict[str, RawItem] = {}
        rejected: list[Rejected] = []
        seen: dict[str, tuple[int, str]] = {}
        position: dict[str, Any] = {**fingerprint, "offset": offset, "rows_done": rows_done}
        width = len(plan.header.columns)
        records = reader.records(offset, rows_done, stop=size, width=width, settled=settled)
        for record in records:
            if record.cells is None:
                rejected.append(
                    Rejected(name, record.reason or "unreadable", record.row, record.raw)
                )
            else:
                items, problem = row_items(plan, record.row, record.cells, seen, self._options)
                if problem:
                    rejected.append(Rejected(name, problem, record.row, record.raw))
                pending.update((i.external_id, i) for i in items)
            position = {**fingerprint, "offset": record.end, "rows_done": record.row}
            if len(pending) + len(rejected) >= self.config.batch_size:
                state[name] = position
                yield Batch(tuple(pending.values()), {"files": dict(state)}, tuple(rejected))
                pending, rejected = {}, []
        if not is_csv:
            position["complete"] = True
        if pending or rejected or state.get(name) != position:
            state[name] = position
            yield Batch(tuple(pending.values()), {"files": dict(state)}, tuple(rejected))

    @property
    def _options(self) -> dict[str, Any]:
        return {
            "day_first": self.config.day_first,
            "segments": self._segments,
            "warned": self._warned,
        }

    def _plan(self, reader: Reader) -> Plan:
        header = reader.read_header(self.config.format)
        return make_plan(self.config, header, reader, self._tz, single_file=self._root.is_file())


def _head_hash(path: Path, length: int) -> str:
    with path.open("rb") as fh:
        return hashlib.sha256(fh.read(length)).hexdigest()


def _resume_point(
    path: Path, now: Mapping[str, Any], prev: Mapping[str, Any] | None
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
    size, mtime_ns = int(now["size"]), int(now["mtime_ns"])
    if size < offset or _head_hash(path, min(HEAD_BYTES, old_size)) != old_hash:
        return 0, 0  # rewritten
    if size > old_size or (size == old_size and mtime_ns == old_mtime):
        return offset, rows  # appended, or the same file
    return 0, 0  # same size, new mtime, or shrunk: rewritten
