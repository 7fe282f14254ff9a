"""Nothing dropped silently: rows that cannot be read are reported with file, row and reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from connectors.base import Batch, ConnectorContext, ConnectorError, RawItem, Rejected
from connectors.survey_file import SurveyFileConnector


def make(base: Path, **config: Any) -> SurveyFileConnector:
    config.setdefault("settle_seconds", 0)
    return SurveyFileConnector(
        SurveyFileConnector.Config.model_validate(config), ConnectorContext("rejects", base)
    )


def drain(
    conn: SurveyFileConnector, cursor: Any = None
) -> tuple[list[RawItem], list[Rejected], list[Batch]]:
    batches = list(conn.fetch(cursor))
    return (
        [i for b in batches for i in b.items],
        [r for b in batches for r in b.rejected],
        batches,
    )


def hundred_rows_three_bad(path: Path) -> None:
    lines = ["Response ID,Submitted At,Feedback,Company size"]
    for n in range(1, 101):
        if n == 20:
            lines.append(f"r{n},2026-10-05 10:00:00,Too many fields,1-10,extra,cells")
        elif n == 50:
            lines.append("r7,2026-10-05 10:00:00,A different answer under an old id,1-10")
        elif n == 80:
            lines.append(",,,11-50")
        else:
            lines.append(f"r{n},2026-10-05 10:00:00,Answer number {n} about invoices.,1-10")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_three_bad_rows_among_a_hundred(tmp_path: Path) -> None:
    hundred_rows_three_bad(tmp_path / "nps.csv")
    conn = make(tmp_path, path="nps.csv", text_columns=["Feedback"], batch_size=40)
    items, rejected, batches = drain(conn)
    assert len(items) == 97
    assert [(r.file, r.row) for r in rejected] == [
        ("nps.csv", 20),
        ("nps.csv", 50),
        ("nps.csv", 80),
    ]
    reasons = [r.reason for r in rejected]
    assert reasons[0] == "ragged row: 6 fields where the header has 4"
    assert reasons[1].startswith("duplicate response id 'r7' with different answers (row 7")
    assert reasons[2].startswith("no response id and no answer text")
    assert rejected[0].excerpt == "r20,2026-10-05 10:00:00,Too many fields,1-10,extra,cells\n"
    # each reject travels with the cursor that moves past it, once
    assert [[r.row for r in b.rejected] for b in batches] == [[20], [50, 80], []]
    resumed, again, _ = drain(conn, json.loads(json.dumps(batches[1].cursor)))
    assert len(resumed) == len(batches[2].items) == 20 and again == []
    assert drain(conn, batches[-1].cursor)[:2] == ([], [])


def test_unclosed_quote_rejects_its_row_and_keeps_the_rows_after_it(tmp_path: Path) -> None:
    lines = ["id,Feedback,Size"] + [f"{n},Answer {n} is here.,1-10" for n in range(1, 13)]
    lines[6] = '6,"This answer opens a quote and never closes it,1-10'
    lines[10] = '10,An answer with "a quote" inside,11-50'
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    items, rejected, _ = drain(make(tmp_path, path="s.csv", text_columns=["Feedback"]))
    assert [r.row for r in rejected] == [6]
    assert rejected[0].reason.startswith("unclosed quote")
    assert rejected[0].excerpt.startswith('6,"This answer opens')
    assert [i.metadata["row"] for i in items] == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]
    assert items[8].text == 'An answer with "a quote" inside'


def test_unclosed_quote_swallowing_more_than_the_field_limit(tmp_path: Path) -> None:
    rows = [f"{n},Answer {n} has enough words in it.,1-10" for n in range(1, 5001)]
    rows[0] = '1,"Unclosed from the first row on,1-10'
    (tmp_path / "s.csv").write_text("id,Feedback,Size\n" + "\n".join(rows) + '\n5001,"x",1\n')
    items, rejected, _ = drain(make(tmp_path, path="s.csv", text_columns=["Feedback"]))
    assert [(r.row, r.reason.split(":")[0]) for r in rejected] == [(1, "unclosed quote")]
    assert len(items) == 5000 and items[0].metadata["row"] == 2


def test_ragged_unterminated_last_row_of_a_settled_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text('id,Feedback,Size\n1,One.,1-10\n2,"Cut off')
    items, rejected, batches = drain(make(tmp_path, path="s.csv", text_columns=["Feedback"]))
    assert [i.text for i in items] == ["One."]
    assert [(r.row, r.reason) for r in rejected] == [
        (2, "unclosed quote at the end of the file: the last row is cut off")
    ]
    assert batches[-1].cursor["files"]["s.csv"]["offset"] == (tmp_path / "s.csv").stat().st_size


def test_a_bad_file_does_not_stop_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text("id,Feedback\n1,From the first file.\n")
    (folder / "b.csv").write_bytes(b"\x00\x01binary\x00")
    (folder / "c.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "d.csv").write_text("id,Other\n1,No feedback column here.\n")
    (folder / "e.csv").write_text("id,Feedback\n1,From the last file.\n")
    conn = make(tmp_path, path="exports", text_columns=["Feedback"])
    batches: list[Batch] = []
    with pytest.raises(ConnectorError) as exc:
        for batch in conn.fetch(None):
            batches.append(batch)
    assert [i.text for b in batches for i in b.items] == [
        "From the first file.",
        "From the last file.",
    ]
    assert exc.value.partial
    assert exc.value.message.startswith("3 of 5 exports could not be read: b.csv is UTF-16")
    assert "c.xlsx cannot be opened as an Excel workbook" in exc.value.message
    assert set(batches[-1].cursor["files"]) == {"a.csv", "e.csv"}  # the bad ones are tried again


def test_a_single_bad_file_is_an_error_as_before(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("id,Other\n1,x\n")
    with pytest.raises(ConnectorError) as exc:
        drain(make(tmp_path, path="s.csv", text_columns=["Feedback"]))
    assert exc.value.permanent and not exc.value.partial


def test_workbook_ragged_row_and_resume(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Respondent ID", "Feedback", "Company size"])
    for n in range(1, 8):
        sheet.append([1000 + n, f"Workbook answer {n}.", "11-50"])
    sheet.append([2000, "Spills over", "1-10", "into a fourth column"])
    book.save(tmp_path / "s.xlsx")
    conn = make(tmp_path, path="s.xlsx", text_columns=["Feedback"], batch_size=3)
    items, rejected, batches = drain(conn)
    assert [i.external_id for i in items][:2] == ["1001:Feedback", "1002:Feedback"]
    assert len(items) == 7
    assert [(r.file, r.row, r.reason) for r in rejected] == [
        ("s.xlsx", 8, "ragged row: cells in 4 columns where the header has 3")
    ]
    rest, _, _ = drain(conn, json.loads(json.dumps(batches[0].cursor)))
    assert [i.metadata["row"] for i in rest] == [4, 5, 6, 7]
    assert drain(conn, batches[-1].cursor)[:2] == ([], [])  # unchanged workbook: nothing
