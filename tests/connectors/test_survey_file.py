"""survey_file: real export layouts, incremental reads, clear errors, streaming."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Batch, ConnectorContext, ConnectorError, RawItem
from connectors.registry import REGISTRY
from connectors.survey_file import SurveyFileConnector
from connectors.survey_formats import detect_format, parse_timestamp

FIXTURES = Path(__file__).parent / "surveys"
HARDEST = "What is the hardest part of your week?"


def make(base: Path, **config: Any) -> SurveyFileConnector:
    return SurveyFileConnector(
        SurveyFileConnector.Config.model_validate(config), ConnectorContext("surveys", base)
    )


def items_of(batches: Iterable[Batch]) -> list[RawItem]:
    return [item for batch in batches for item in batch.items]


def run(
    conn: SurveyFileConnector, cursor: Mapping[str, Any] | None = None
) -> tuple[list[RawItem], Mapping[str, Any] | None]:
    batches = list(conn.fetch(cursor))
    return items_of(batches), (batches[-1].cursor if batches else cursor)


def shared_data() -> Path:
    env = os.environ.get("LISTENER_SHARED_DATA")
    return Path(env) if env else Path(__file__).parents[2] / ".." / "shared" / "data"


# ---- layouts --------------------------------------------------------------------------------


def test_registered() -> None:
    assert REGISTRY["survey_file"] is SurveyFileConnector


def test_typeform_export() -> None:
    conn = make(
        FIXTURES,
        path="typeform.csv",
        text_columns=[HARDEST, "What would you love your invoicing tool to do?"],
        segment_columns={"How many people work at your company?": "size", "utm_source": "src"},
    )
    items, _ = run(conn)
    ids = [i.external_id for i in items]
    assert ids == [
        f"k3v9q2m8x1tfa7:{HARDEST}",
        "k3v9q2m8x1tfa7:What would you love your invoicing tool to do?",
        f"p8w2n5r7c0tfb3:{HARDEST}",
        "z1x4c6v8b2tfc9:What would you love your invoicing tool to do?",
    ]
    first, multiline = items[0], items[2]
    assert first.created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)
    assert first.kind == "response" and first.title == HARDEST
    assert first.segment == {"size": "11-50", "src": "newsletter"}
    assert first.metadata == {
        "file": "typeform.csv",
        "row": 1,
        "column": HARDEST,
        "format": "typeform",
    }
    assert multiline.text.startswith("Month end.") and "\nand the export" in multiline.text
    assert multiline.segment == {"size": "1-10"}  # empty utm_source is skipped


def test_surveymonkey_two_row_header() -> None:
    conn = make(
        FIXTURES,
        path="surveymonkey.csv",
        text_columns=[
            HARDEST,
            "Which tool do you use for invoicing today? - Other (please specify)",
        ],
        segment_columns={"Company size": "size", "Country": "region"},
    )
    items, _ = run(conn)
    assert [(i.external_id, i.text) for i in items] == [
        (
            f"114520367801:{HARDEST}",
            "Payroll week: three spreadsheets, two logins, one very long night.",
        ),
        (f"114520367802:{HARDEST}", "Nothing major this week."),
        (
            "114520367802:Which tool do you use for invoicing today? - Other (please specify)",
            "A notebook and a lot of patience",
        ),
    ]
    # End Date, US month-first with AM/PM, read as UTC
    assert items[0].created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)
    assert items[0].segment == {"size": "11-50", "region": "Netherlands"}
    assert items[1].segment == {"size": "1-10"}
    assert items[2].title == "Which tool do you use for invoicing today? - Other (please specify)"
    assert {i.metadata["format"] for i in items} == {"surveymonkey"}


def test_surveymonkey_question_alone_means_the_response_column() -> None:
    conn = make(
        FIXTURES,
        path="surveymonkey.csv",
        text_columns=["Which tool do you use for invoicing today?"],
    )
    texts = [i.text for i in run(conn)[0]]
    assert texts == ["Spreadsheets", "Other (please specify)", "Accounting suite"]


def test_google_forms_export_without_ids() -> None:
    conn = make(
        FIXTURES,
        path="google_forms.csv",
        text_columns=[HARDEST, "What would make your month easier?"],
        segment_columns={"Country": "region"},
    )
    items, _ = run(conn)
    assert len(items) == 4
    assert items[0].created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)
    assert items[2].created_at == datetime(2026, 10, 6, 9, 20, 45, tzinfo=UTC)
    # no response id column: a hash of the row, shared by the answers of one response
    assert items[0].external_id.startswith("row-")
    assert items[0].external_id.split(":")[0] == items[1].external_id.split(":")[0]
    assert items[0].external_id.split(":")[0] != items[2].external_id.split(":")[0]
    assert items[3].segment == {}
    # stable across runs
    assert [i.external_id for i in run(conn)[0]] == [i.external_id for i in items]


def test_qualtrics_three_row_header_by_qid_text_or_tag() -> None:
    for name in ("Q2", HARDEST, "QID2_TEXT"):
        conn = make(
            FIXTURES, path="qualtrics.csv", text_columns=[name], segment_columns={"Q3": "size"}
        )
        items, _ = run(conn)
        assert [i.external_id for i in items] == ["R_3kTz9QmV1xYp2Lb:Q2", "R_9zYxW8vUtS7rQpO:Q2"]
    assert items[0].title == HARDEST
    assert items[0].segment == {"size": "11-50"}
    # RecordedDate is America/New_York by its ImportId: 10:03:11 EDT is 14:03:11 UTC
    assert items[0].created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)


def test_qualtrics_legacy_two_row_header() -> None:
    conn = make(
        FIXTURES,
        path="qualtrics_legacy.csv",
        text_columns=[HARDEST],
        segment_columns={"Company size": "size"},
        time_column="EndDate",
    )
    items, _ = run(conn)
    assert [(i.external_id, i.segment) for i in items] == [
        ("R_6mNoP4qRsT5uVwX:Q2", {"size": "11-50"})
    ]
    assert items[0].created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)
    assert items[0].metadata["format"] == "qualtrics"


def test_plain_csv_with_explicit_columns() -> None:
    conn = make(
        FIXTURES,
        path="plain.csv",
        text_columns=["answer"],
        time_column="submitted",
        segment_columns={"team size": "size", "region": "region"},
        format="plain",
    )
    items, _ = run(conn)
    assert [i.text for i in items] == [
        "Our reporting is always a week behind the numbers.",
        "I would like the dashboard to show cash runway.",
    ]
    assert items[1].created_at == datetime(2026, 10, 6, 7, 20, 45, tzinfo=UTC)
    assert items[1].segment == {"size": "1-10"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("typeform.csv", "typeform"),
        ("surveymonkey.csv", "surveymonkey"),
        ("google_forms.csv", "google_forms"),
        ("qualtrics.csv", "qualtrics"),
        ("qualtrics_legacy.csv", "qualtrics"),
        ("plain.csv", "plain"),
    ],
)
def test_format_detection(name: str, expected: str) -> None:
    import csv

    with (FIXTURES / name).open(encoding="utf-8", newline="") as fh:
        rows = [row for _, row in zip(range(3), csv.reader(fh), strict=False)]
    assert detect_format(rows) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-05 14:03:11", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("10/5/2026 14:03:11", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("10/05/2026 02:03:11 PM", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("2026-10-05T16:03:11+02:00", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("2026-10-05T14:03:11.000Z", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("2026/10/05 4:03:11 PM GMT+2", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("2026/10/05 10:03:11 AM EDT", datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)),
        ("25/10/2026 14:03", datetime(2026, 10, 25, 14, 3, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_timestamps(value: str, expected: datetime | None) -> None:
    assert parse_timestamp(value, UTC) == expected


def test_day_first_and_configured_zone(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("Timestamp,Answer\n05/10/2026 16:03:11,Too many logins.\n")
    conn = make(
        tmp_path, path="s.csv", text_columns=["Answer"], day_first=True, timezone="Europe/Berlin"
    )
    assert run(conn)[0][0].created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)


# ---- files, cursors, incremental reads ----------------------------------------------------------


def write_plain(path: Path, rows: Iterable[tuple[str, str]], *, header: bool = True) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        if header:
            fh.write("Response ID,Feedback\n")
        for rid, text in rows:
            fh.write(f'{rid},"{text}"\n')


def test_folder_of_files(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    write_plain(folder / "week1.csv", [("a1", "Invoices bounce."), ("a2", "Fine.")])
    write_plain(folder / "week2.CSV", [("b1", "Reminders please.")])
    (folder / "notes.txt").write_text("not an export")
    conn = make(tmp_path, path="exports", text_columns=["Feedback"], id_column="Response ID")
    conn.check()
    items, cursor = run(conn)
    assert [(i.external_id, i.metadata["file"]) for i in items] == [
        ("a1:Feedback", "week1.csv"),
        ("a2:Feedback", "week1.csv"),
        ("b1:Feedback", "week2.CSV"),
    ]
    assert cursor is not None and set(cursor["files"]) == {"week1.csv", "week2.CSV"}
    write_plain(folder / "week3.csv", [("c1", "New week.")])
    (folder / "week2.CSV").unlink()
    items, cursor = run(conn, cursor)
    assert [i.external_id for i in items] == ["c1:Feedback"]
    assert cursor is not None and set(cursor["files"]) == {"week1.csv", "week3.csv"}


def test_unchanged_file_yields_nothing(tmp_path: Path) -> None:
    write_plain(tmp_path / "s.csv", [("1", "Slow exports.")])
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    items, cursor = run(conn)
    assert len(items) == 1
    assert list(conn.fetch(cursor)) == []


def test_append_resumes_after_last_row(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_plain(path, [("1", "One."), ("2", "Two.")])
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    _, cursor = run(conn)
    write_plain(path, [("3", "Three."), ("4", "Four.")], header=False)
    items, cursor = run(conn, cursor)
    assert [(i.external_id, i.metadata["row"]) for i in items] == [
        ("3:Feedback", 3),
        ("4:Feedback", 4),
    ]
    assert cursor is not None and cursor["files"]["s.csv"]["rows_done"] == 4


def settle(path: Path) -> None:
    """Make a file look untouched for a minute (its last row is then final)."""
    old = path.stat().st_mtime - 120
    os.utime(path, (old, old))


def test_append_after_a_settled_last_row_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Response ID,Feedback\n1,One.\n2,Two.")
    settle(path)
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    items, cursor = run(conn)
    assert [i.text for i in items] == ["One.", "Two."]
    with path.open("a") as fh:
        fh.write("\n3,Three.\n")
    items, _ = run(conn, cursor)
    assert [i.text for i in items] == ["Three."]


def test_a_last_row_still_being_written_waits_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('Response ID,Feedback,Size\n1,One.,1-10\n2,"Half of a sent')
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    batches = list(conn.fetch(None))
    assert [i.text for b in batches for i in b.items] == ["One."]
    assert [r for b in batches for r in b.rejected] == []  # not stored truncated, not rejected
    cursor = batches[-1].cursor
    with path.open("a") as fh:
        fh.write('ence, finished now.",11-50\n3,Three.,51-200\n')
    items, cursor = run(conn, cursor)
    assert [(i.external_id, i.text, i.metadata["row"]) for i in items] == [
        ("2:Feedback", "Half of a sentence, finished now.", 2),
        ("3:Feedback", "Three.", 3),
    ]
    assert list(conn.fetch(cursor)) == []


def test_a_fresh_complete_last_row_without_newline_also_waits(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Response ID,Feedback\n1,One.\n2,Two")  # "Two" may become "Twofold…"
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    items, cursor = run(conn)
    assert [i.text for i in items] == ["One."]
    later = make(tmp_path, path="s.csv", text_columns=["Feedback"], settle_seconds=0)
    items, _ = run(later, cursor)  # as on a run after the file stopped changing
    assert [i.text for i in items] == ["Two"]


def test_rewritten_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_plain(path, [("1", "One."), ("2", "Two.")])
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    _, cursor = run(conn)
    path.unlink()
    write_plain(path, [("9", "Nine, a new export."), ("1", "One.")])
    items, _ = run(conn, cursor)
    assert [i.external_id for i in items] == ["9:Feedback", "1:Feedback"]


def test_repeated_response_id_keeps_the_first_and_reports_the_other(tmp_path: Path) -> None:
    rows = [("1", "First draft."), ("2", "Other."), ("1", "Final."), ("2", "Other.")]
    write_plain(tmp_path / "s.csv", rows)
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    batches = list(conn.fetch(None))
    assert [(i.external_id, i.text) for b in batches for i in b.items] == [
        ("1:Feedback", "First draft."),
        ("2:Feedback", "Other."),
    ]
    rejected = [r for b in batches for r in b.rejected]
    assert [(r.file, r.row) for r in rejected] == [("s.csv", 3)]  # row 4 repeats row 2 exactly
    assert "duplicate response id '1'" in rejected[0].reason and "row 1" in rejected[0].reason
    assert rejected[0].excerpt == '1,"Final."\n'


def test_cursor_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_plain(path, [(str(n), f"Answer {n}.") for n in range(7)])
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"], batch_size=3)
    batches = list(conn.fetch(None))
    assert [len(b.items) for b in batches] == [3, 3, 1]
    restored = json.loads(json.dumps(batches[0].cursor))
    items = items_of(conn.fetch(restored))
    assert [i.text for i in items] == [f"Answer {n}." for n in range(3, 7)]
    assert list(conn.fetch(json.loads(json.dumps(batches[-1].cursor)))) == []


def test_foreign_cursor_means_read_again(tmp_path: Path) -> None:
    write_plain(tmp_path / "s.csv", [("1", "One.")])
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    items, _ = run(conn, {"files": {"s.csv": {"offset": "?"}}})
    assert [i.text for i in items] == ["One."]


def test_big_file_is_streamed_and_resumes_mid_way(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    n = 100_000
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Response ID,Submitted At,Feedback,Size\r\n")
        for i in range(n):
            text = (
                f'Row {i}: invoices, "quotes"\nand a second line' if i % 1000 == 0 else f"Row {i}"
            )
            fh.write(
                f'r{i},2026-10-05 14:03:11,"{text.replace(chr(34), chr(34) * 2)}",s{i % 3}\r\n'
            )
    conn = make(
        tmp_path, path="big.csv", text_columns=["Feedback"], segment_columns={"Size": "size"}
    )
    seen = 0
    mid_cursor = None
    for count, batch in enumerate(conn.fetch(None), start=1):
        assert len(batch.items) <= 500
        for item in batch.items:
            assert item.external_id == f"r{seen}:Feedback"
            assert item.text.startswith(f"Row {seen}")
            seen += 1
        if count == 77:
            mid_cursor = json.loads(json.dumps(batch.cursor))
    assert seen == n
    assert (
        items_of(conn.fetch(None))[1000].text == 'Row 1000: invoices, "quotes"\nand a second line'
    )
    assert mid_cursor is not None
    rest = items_of(conn.fetch(mid_cursor))
    assert len(rest) == n - 77 * 500
    assert rest[0].external_id == f"r{77 * 500}:Feedback"
    assert rest[0].metadata["row"] == 77 * 500 + 1


# ---- encodings and errors -----------------------------------------------------------------------


def test_windows_1252_file_is_decoded(tmp_path: Path) -> None:
    text = "The café’s invoices arrive late — every month."
    (tmp_path / "s.csv").write_bytes(f"Respondent ID,Feedback\n7,{text}\n".encode("cp1252"))
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    conn.check()
    assert [i.text for i in run(conn)[0]] == [text]


def test_bytes_undefined_in_windows_1252_do_not_stop_the_read(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_bytes(b"id,Feedback\n1,Gr\xfc\xdfe \x81 aus Wien\n")
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    assert [i.text for i in run(conn)[0]] == ["Grüße \x81 aus Wien"]


def test_rows_not_in_the_explicit_encoding_are_reported(tmp_path: Path) -> None:
    body = "id,Feedback\n1,Café déjà vu\n2,Plain text.\n".encode("cp1252")
    (tmp_path / "s.csv").write_bytes(body)
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"], encoding="utf-8")
    batches = list(conn.fetch(None))
    assert [i.text for b in batches for i in b.items] == ["Plain text."]
    [reject] = [r for b in batches for r in b.rejected]
    assert reject.row == 1 and "not valid utf-8 at byte 17" in reject.reason
    assert "encoding: auto" in reject.reason


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_bytes("\ufeffResponse ID,Feedback\n1,Ça marche.\n".encode())
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"], id_column="Response ID")
    assert [i.external_id for i in run(conn)[0]] == ["1:Feedback"]


def test_semicolon_and_tab_delimiters(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id;Feedback;Land\n1;Zu viele Belege, zu wenig Zeit.;DE\n")
    (tmp_path / "b.tsv").write_text("id\tFeedback\tLand\n2\tAlles gut, danke.\tAT\n")
    for name in ("a.csv", "b.tsv"):
        conn = make(tmp_path, path=name, text_columns=["Feedback"], id_column="id")
        items = run(conn)[0]
        assert len(items) == 1 and "," in items[0].text


def test_unknown_column_lists_available_and_closest(tmp_path: Path) -> None:
    conn = make(
        FIXTURES, path="typeform.csv", text_columns=["What is the hardest part of the week"]
    )
    with pytest.raises(ConnectorError) as exc:
        conn.check()
    err = exc.value
    assert "'What is the hardest part of the week'" in err.message
    assert "typeform.csv" in err.message
    assert err.hint is not None
    assert f"closest match: '{HARDEST}'" in err.hint
    assert "'Network ID'" in err.hint and "'Submit Date (UTC)'" in err.hint
    assert err.permanent


def test_bad_segment_or_id_column_is_named(tmp_path: Path) -> None:
    conn = make(FIXTURES, path="plain.csv", text_columns=["answer"], id_column="Response ID")
    with pytest.raises(ConnectorError, match="id_column 'Response ID'"):
        conn.check()
    conn = make(FIXTURES, path="plain.csv", text_columns=["answer"], segment_columns={"Sise": "s"})
    with pytest.raises(ConnectorError, match="segment column 'Sise'"):
        list(conn.fetch(None))


def test_missing_file_hints_at_the_config_folder(tmp_path: Path) -> None:
    conn = make(tmp_path, path="exports/nps.csv", text_columns=["Feedback"])
    with pytest.raises(ConnectorError, match="does not exist") as exc:
        conn.check()
    assert exc.value.hint is not None and str(tmp_path) in exc.value.hint
    assert "relative to the config file" in exc.value.hint


def test_empty_folder_fails_check_but_fetches_nothing(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    conn = make(tmp_path, path="exports", text_columns=["Feedback"])
    with pytest.raises(ConnectorError, match=r"no \.csv"):
        conn.check()
    assert list(conn.fetch(None)) == []


def test_excel_workbook_is_refused_with_a_fix(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    conn = make(tmp_path, path="s.csv", text_columns=["Feedback"])
    with pytest.raises(ConnectorError, match="Excel workbook") as exc:
        conn.check()
    assert exc.value.hint and "CSV" in exc.value.hint


def test_explicit_format_that_does_not_fit_is_named() -> None:
    conn = make(FIXTURES, path="plain.csv", text_columns=["answer"], format="qualtrics")
    with pytest.raises(ConnectorError, match="does not look like a Qualtrics export"):
        conn.check()


def test_config_rejects_bad_values() -> None:
    from pydantic import ValidationError

    for bad in (
        {"path": "x.csv", "text_columns": []},
        {"path": "x.csv", "text_columns": ["a"], "format": "excel"},
        {"path": "x.csv", "text_columns": ["a"], "encoding": "klingon"},
        {"path": "x.csv", "text_columns": ["a"], "timezone": "Mars/Olympus"},
        {"path": "x.csv", "text_columns": ["a"], "colums": ["b"]},
    ):
        with pytest.raises(ValidationError):
            SurveyFileConnector.Config.model_validate(bad)


# ---- real exports ---------------------------------------------------------------------------


@pytest.mark.shared_data
def test_every_shared_survey_export_parses() -> None:
    root = shared_data() / "surveys"
    if not root.is_dir():
        pytest.skip(f"shared survey exports not found at {root} (set LISTENER_SHARED_DATA)")
    exports = sorted(p for p in root.rglob("*.csv"))
    assert exports, f"no CSV exports under {root}"
    formats = set()
    for path in exports:
        probe = make(path.parent, path=path.name, text_columns=["__none__"])
        with pytest.raises(ConnectorError) as exc:
            probe.check()
        # the error lists the columns: configure every one of them as text
        assert exc.value.hint and "available columns" in exc.value.hint
        keys = [c.key for c in probe.headers()[path.name].columns]
        conn = make(path.parent, path=path.name, text_columns=keys[1:])
        conn.check()
        items, cursor = run(conn)
        assert items, f"no responses from {path}"
        formats.add(items[0].metadata["format"])
        assert all(i.external_id and i.text.strip() for i in items)
        assert list(conn.fetch(cursor)) == [], f"{path} yielded again from its own cursor"
    assert {"qualtrics", "surveymonkey", "limesurvey"} <= formats


def test_prompts_say_what_each_question_asks_for() -> None:
    wish = "What would you love your invoicing tool to do?"
    conn = make(
        FIXTURES, path="typeform.csv", text_columns=[HARDEST, wish], prompts={HARDEST: "pain"}
    )
    items, _ = run(conn)
    prompts = {item.title: item.prompt for item in items}
    assert prompts == {HARDEST: "pain", wish: None}


def test_prompts_must_name_text_columns() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not in text_columns"):
        SurveyFileConnector.Config.model_validate(
            {"path": "x.csv", "text_columns": [HARDEST], "prompts": {"Other question": "pain"}}
        )
