"""Streaming CSV exports row by row, with byte offsets, and saying which rows cannot be read.

Rows are parsed from the binary file line by line, so an export's size does not matter and a
grown file resumes at the byte after the last row handed over. Every data row comes out as a
``Record``: its cells, or the reason it cannot be read (ragged, undecodable, an unclosed quote).
An unclosed quote would swallow the rows after it into one field; when the line after it reads as
a whole row on its own, only the broken line is rejected and reading resumes right after it. A
last row without its line end that is still being written is not handed over at all: the offset
stays before it and the next run reads it whole.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog

from connectors.survey_formats import (
    HEAD_BYTES,
    Header,
    detect_encoding,
    parse_header,
    reject_binary,
)

log = structlog.get_logger(__name__)

DELIMITERS = (",", "\t", ";")


@dataclass(frozen=True, slots=True)
class Record:
    """One data row: ``cells``, or ``reason`` why it cannot be read (then ``cells`` is None)."""

    row: int
    """Data-row number in the file (1 = the first row after the header)."""
    cells: list[str] | None
    reason: str | None
    raw: str
    end: int
    """Where the next record starts: a byte offset (CSV) or a row count (XLSX)."""


@dataclass
class _Line:
    start: int
    text: str
    bad: int | None  # byte offset of the first undecodable byte, if any


class CsvExport:
    """One CSV export opened for streaming: encoding, delimiter and byte offsets of rows."""

    def __init__(self, path: Path, fh: BinaryIO, encoding: str, errors: str, start: int) -> None:
        self.path, self.fh, self.encoding, self.errors = path, fh, encoding, errors
        self.start = start
        self.delimiter = ","
        self.data_offset = start
        self._pos = start
        self._consumed: list[_Line] = []

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def open(cls, path: Path, encoding: str, *, resume_at: int = 0, scan: bool = True) -> CsvExport:
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

    def __enter__(self) -> CsvExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()

    # ---- lines ---------------------------------------------------------------------------------

    def _lines(self, start: int, stop: int | None) -> Iterator[str]:
        """Decoded lines from ``start``; each is also noted in ``_consumed`` for the record."""
        self.fh.seek(start)
        self._pos = start
        for raw in self.fh:
            if stop is not None and self._pos >= stop:
                return
            if stop is not None and self._pos + len(raw) > stop:
                raw = raw[: stop - self._pos]  # bytes written after we looked: the next run's
            bad = None
            try:
                line = raw.decode(self.encoding, self.errors)
            except UnicodeDecodeError as exc:
                bad = self._pos + exc.start
                line = raw.decode(self.encoding, "replace")
            self._consumed.append(_Line(self._pos, line, bad))
            self._pos += len(raw)
            yield line

    def _take(self) -> list[_Line]:
        lines, self._consumed = self._consumed, []
        return lines

    # ---- header --------------------------------------------------------------------------------

    def read_header(self, fmt: str) -> Header:
        """Parse the header rows and remember where the data rows begin."""
        self.fh.seek(self.start)
        head = self.fh.read(HEAD_BYTES).decode(self.encoding, "replace")
        self.delimiter = max(DELIMITERS, key=lambda d: _fields_in_first_record(head, d))
        reader = csv.reader(self._lines(self.start, None), delimiter=self.delimiter)
        rows: list[list[str]] = []
        ends: list[int] = []
        try:
            for row in reader:
                rows.append(row)
                ends.append(self._pos)
                if len(rows) == 3:
                    break
        except csv.Error:
            pass  # the header is what parsed; a broken data row is reported when it is read
        self._take()
        header = parse_header(rows, fmt, file=self.name)
        self.data_offset = ends[header.rows - 1]
        return header

    def sample(self, limit: int) -> list[list[str]]:
        """The first ``limit`` readable data rows (for choosing columns automatically)."""
        out = []
        for record in self.records(0, 0, stop=None, width=None, settled=True):
            if record.cells is not None:
                out.append(record.cells)
                if len(out) >= limit:
                    break
        return out

    # ---- records -------------------------------------------------------------------------------

    def records(
        self, offset: int, rows_done: int, *, stop: int | None, width: int | None, settled: bool
    ) -> Iterator[Record]:
        """Data rows from ``offset`` up to byte ``stop``; ``width`` is the header's column count.

        ``settled`` says the file has not changed for a while: a last row without its line end
        is then final (some tools never write one) rather than still being written.
        """
        pos = max(offset, self.data_offset)
        row_no = rows_done if pos == offset else 0
        while True:
            resume = None
            for record, next_start in self._parse_from(pos, stop, width, settled, row_no):
                row_no = record.row
                yield record
                if next_start is not None:  # a broken record: parse again after its first line
                    resume = next_start
                    break
            if resume is None or resume <= pos:
                return
            pos = resume

    def _parse_from(
        self, pos: int, stop: int | None, width: int | None, settled: bool, row_no: int
    ) -> Iterator[tuple[Record, int | None]]:
        """Records from ``pos``; a broken one comes with the offset to parse again from."""
        self._consumed = []
        # strict: a closing quote must be followed by a delimiter or the line end. That is how
        # every tool writes CSV, and it is what exposes a quote left open: the next quote in the
        # file "closes" it in the middle of a later row, followed by more text.
        reader = csv.reader(self._lines(pos, stop), delimiter=self.delimiter, strict=True)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                lines = self._take()
                at_end = stop is not None and self._pos >= stop
                if at_end and not settled and "unexpected end of data" in str(exc):
                    return  # a quoted answer still being written: the next run reads it whole
                yield self._broken(lines, row_no + 1, str(exc))
                return
            lines = self._take()
            if not lines or not any(c.strip() for c in row):
                continue
            end = self._pos
            unterminated = not lines[-1].text.endswith(("\n", "\r"))
            ragged = width is not None and len(row) != width and not _trailing_blanks(row, width)
            if unterminated and stop is not None and end >= stop and (ragged or not settled):
                return  # still being written: the next run reads it whole
            row_no += 1
            raw = "".join(line.text for line in lines)
            bad = next((line.bad for line in lines if line.bad is not None), None)
            if bad is not None:
                reason = (
                    f"not valid {self.encoding} at byte {bad} (set encoding: auto, or the "
                    "encoding the survey tool exported with)"
                )
                yield Record(row_no, None, reason, raw, end), None
            elif ragged:
                reason = f"ragged row: {len(row)} fields where the header has {width}"
                yield Record(row_no, None, reason, raw, end), None
            else:
                yield Record(row_no, row, None, raw, end), None

    def _broken(self, lines: list[_Line], row_no: int, error: str) -> tuple[Record, int]:
        """Reject the first line of a record whose quotes do not parse; resume on the next."""
        first = lines[0] if lines else _Line(self._pos, "", None)
        nxt = self._pos
        if len(lines) > 1:
            reason = (
                "unclosed quote: a quote opened in this row is never closed, so the rows after "
                "it would merge into one field (fix the quote, or re-export the file)"
            )
            nxt = lines[1].start
        elif "unexpected end of data" in error:
            reason = "unclosed quote at the end of the file: the last row is cut off"
        else:
            reason = f"malformed quotes ({error}): fix the quote, or re-export the file"
        return Record(row_no, None, reason, first.text, nxt), nxt


def _trailing_blanks(row: list[str], width: int) -> bool:
    """A row longer than the header only by empty cells (a trailing delimiter) is not ragged."""
    return len(row) > width and not any(c.strip() for c in row[width:])


def _fields_in_first_record(head: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), []))
    except csv.Error:
        return 0
