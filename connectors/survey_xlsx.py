"""Excel exports (.xlsx): the same header layouts as the CSVs, streamed sheet by sheet.

SurveyMonkey, Qualtrics, Google Forms and Typeform all offer an Excel download laid out like
their CSV (SurveyMonkey's merged question cells read as empty cells, as in its CSV). openpyxl's
read-only mode streams rows from the zipped XML, so a large workbook is never held in memory.
A workbook has no byte offsets: its position is the number of data rows handed over, and a
changed workbook is read again from its first row (the store keeps what it already has).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from connectors.base import ConnectorError
from connectors.survey_csv import Record
from connectors.survey_formats import Header, parse_header

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})


def cell_text(value: Any) -> str:
    """A cell as the CSV export would have written it (ids stay whole, times stay ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


class Workbook:
    """An open .xlsx file; ``sheets(names)`` gives the sheets to read (the first by default)."""

    def __init__(self, path: Path) -> None:
        import openpyxl  # imported here: only sources with workbooks pay for it
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise ConnectorError(
                f"{path.name} cannot be opened as an Excel workbook ({type(exc).__name__})",
                hint="if the export is still being written it is read on the next run; "
                "otherwise download it again, or export as CSV",
            ) from None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._book.close()

    def sheet_names(self) -> list[str]:
        return list(self._book.sheetnames)

    def sheets(self, names: list[str]) -> list[XlsxSheet]:
        available = self.sheet_names()
        if not names:
            return [XlsxSheet(self, available[0], only=True)] if available else []
        missing = [n for n in names if n not in available]
        if missing and len(missing) == len(names):
            raise ConnectorError(
                f"{self.path.name} has no sheet named {', '.join(map(repr, missing))}",
                hint=f"its sheets are {', '.join(map(repr, available))}; fix `sheets:`",
                permanent=True,
            )
        return [XlsxSheet(self, n, only=False) for n in names if n in available]

    def rows(self, sheet: str) -> Iterator[list[str]]:
        worksheet = self._book[sheet]
        reset = getattr(worksheet, "reset_dimensions", None)
        if reset is not None:
            reset()  # exporters write wrong <dimension>s; read the rows that are there
        for values in worksheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in values]


class XlsxSheet:
    """One sheet of a workbook, read like a CSV export (header rows, then data rows)."""

    def __init__(self, book: Workbook, sheet: str, *, only: bool) -> None:
        self.book, self.sheet = book, sheet
        self.name = book.path.name if only else f"{book.path.name}#{sheet}"
        """The cursor key and the name rejects are reported under."""
        self._header_rows = 1

    def read_header(self, fmt: str) -> Header:
        rows: list[list[str]] = []
        for row in self.book.rows(self.sheet):
            rows.append(row)
            if len(rows) == 3:
                break
        header = parse_header(rows, fmt, file=self.name)
        self._header_rows = header.rows
        return header

    def sample(self, limit: int) -> list[list[str]]:
        out = []
        for record in self.records(0, 0, stop=None, width=None, settled=True):
            if record.cells is not None:
                out.append(record.cells)
                if len(out) >= limit:
                    break
        return out

    def records(
        self, offset: int, rows_done: int, *, stop: int | None, width: int | None, settled: bool
    ) -> Iterator[Record]:
        """Data rows after the first ``rows_done`` (``offset``/``stop``/``settled``: CSV only)."""
        row_no = 0
        for index, cells in enumerate(self.book.rows(self.sheet)):
            if index < self._header_rows or not any(c.strip() for c in cells):
                continue
            row_no += 1
            if row_no <= rows_done:
                continue
            raw = ",".join(cells).rstrip(",")
            if width is not None and any(c.strip() for c in cells[width:]):
                used = max(i for i, c in enumerate(cells) if c.strip()) + 1
                reason = f"ragged row: cells in {used} columns where the header has {width}"
                yield Record(row_no, None, reason, raw, row_no)
                continue
            if width is not None and len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield Record(row_no, cells, None, raw, row_no)
