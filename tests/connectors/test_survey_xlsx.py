"""Excel workbooks: sheets by name, cursors per sheet, and a real third-party workbook."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from connectors.base import Batch, ConnectorContext, ConnectorError
from connectors.survey_file import SurveyFileConnector
from connectors.survey_xlsx import cell_text
from tests.conftest import SHARED_DATA

FIXTURES = Path(__file__).parent / "surveys"


def make(base: Path, **config: Any) -> SurveyFileConnector:
    return SurveyFileConnector(
        SurveyFileConnector.Config.model_validate(config), ConnectorContext("xlsx", base)
    )


def quarterly(path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Summary"
    first.append(["Responses by quarter: see the other sheets"])
    for name, offset in (("Q3", 0), ("Q4", 100)):
        sheet = book.create_sheet(name)
        sheet.append(["Respondent ID", "End Date", "Feedback", "Company size"])
        for n in range(1, 4):
            sheet.append(
                [offset + n, datetime(2026, 10, n, 9, 30), f"{name} answer {n} is long.", "1-10"]
            )
    book.save(path)


def test_sheets_by_name_each_with_its_own_cursor(tmp_path: Path) -> None:
    quarterly(tmp_path / "q.xlsx")
    conn = make(tmp_path, path="q.xlsx", sheets=["Q3", "Q4"], text_columns=["Feedback"])
    conn.check()
    batches = list(conn.fetch(None))
    items = [i for b in batches for i in b.items]
    assert [i.external_id for i in items] == [f"{n}:Feedback" for n in (1, 2, 3, 101, 102, 103)]
    assert items[0].created_at == datetime(2026, 10, 1, 9, 30, tzinfo=UTC)  # a date cell
    assert items[3].survey is not None and items[3].survey.survey == "q.xlsx#Q4"
    assert set(batches[-1].cursor["files"]) == {"q.xlsx#Q3", "q.xlsx#Q4"}
    assert list(conn.fetch(json.loads(json.dumps(batches[-1].cursor)))) == []


def test_the_first_sheet_by_default_and_a_missing_sheet_named(tmp_path: Path) -> None:
    quarterly(tmp_path / "q.xlsx")
    with pytest.raises(ConnectorError, match="no column looks like free-text answers"):
        make(tmp_path, path="q.xlsx").check()  # "Summary" is first: not responses
    with pytest.raises(ConnectorError) as exc:
        make(tmp_path, path="q.xlsx", sheets=["Q1"]).check()
    assert exc.value.message == "q.xlsx has no sheet named 'Q1'"
    assert exc.value.hint and "'Summary', 'Q3', 'Q4'" in exc.value.hint
    google = make(FIXTURES, path="google_forms.xlsx")
    assert [m.file for m in google.mapping()] == ["google_forms.xlsx"]  # not its "Notes" sheet


def test_a_changed_workbook_is_read_again_and_the_store_keeps_what_it_has(tmp_path: Path) -> None:
    path = tmp_path / "q.xlsx"
    quarterly(path)
    conn = make(tmp_path, path="q.xlsx", sheets=["Q3"], text_columns=["Feedback"])
    cursor = list(conn.fetch(None))[-1].cursor
    book = openpyxl.load_workbook(path)
    book["Q3"].append([4, datetime(2026, 10, 4, 9, 30), "Q3 answer 4 came late.", "11-50"])
    book.save(path)
    again: list[Batch] = list(conn.fetch(cursor))
    assert [i.external_id for b in again for i in b.items][-1] == "4:Feedback"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (114520367801, "114520367801"),
        (114520367801.0, "114520367801"),
        (0.5, "0.5"),
        (True, "True"),
        (datetime(2026, 10, 5, 14, 3, 11), "2026-10-05 14:03:11"),
        ("kept as is ", "kept as is "),
    ],
)
def test_cells_read_as_the_csv_would_write_them(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.shared_data
def test_a_real_workbook_is_streamed() -> None:
    path = SHARED_DATA / "feedback" / "google_play_reviews_unbalanced_4000.xlsx"
    if not path.is_file():
        pytest.skip(f"shared workbook not found at {path} (set LISTENER_SHARED_DATA)")
    conn = make(path.parent, path=path.name, text_columns=["review"], id_column="ID")
    batches = list(conn.fetch(None))
    items = [i for b in batches for i in b.items]
    assert len(items) == len({i.external_id for i in items}) == 4000
    assert sum(len(b.rejected) for b in batches) == 0
    assert all(i.text.strip() for i in items)
    rest = [i for b in conn.fetch(json.loads(json.dumps(batches[2].cursor))) for i in b.items]
    assert [i.external_id for i in rest] == [i.external_id for i in items[1500:]]
    # without text_columns, the review text is among the columns chosen, the label is not
    [mapping] = make(path.parent, path=path.name).mapping()
    assert "review" in [c.column for c in mapping.of("text")]
    assert "label" not in [c.column for c in mapping.of("text")]
