"""Automatic column mapping: free text and segments chosen from the data, with reasons, as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import ConnectorContext, ConnectorError, RawItem
from connectors.survey_file import SurveyFileConnector
from connectors.survey_formats import Column
from connectors.survey_mapping import classify, segment_tag
from tests.conftest import SHARED_DATA
from tests.connectors.test_survey_layouts import EXPECTED, FIXTURES

HARDEST = "What is the hardest part of your week?"


def make(base: Path, **config: Any) -> SurveyFileConnector:
    return SurveyFileConnector(
        SurveyFileConnector.Config.model_validate(config), ConnectorContext("auto", base)
    )


def items(conn: SurveyFileConnector) -> list[RawItem]:
    return [i for b in conn.fetch(None) for i in b.items]


def key(item: RawItem) -> tuple[str, str, dict[str, str], Any]:
    return (item.external_id, item.text, dict(item.segment), item.created_at)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_automatic_choice_reads_what_the_hand_written_config_reads(stem: str, suffix: str) -> None:
    configured, _, _, _ = EXPECTED[stem]
    if stem == "qualtrics_legacy":
        configured = {**configured, "time_column": "EndDate"}
    auto = make(FIXTURES, path=stem + suffix)
    by_hand = make(FIXTURES, path=stem + suffix, **configured)
    assert [key(i) for i in items(auto)] == [key(i) for i in items(by_hand)]


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_the_yaml_pastes_back_into_the_config(stem: str) -> None:
    auto = make(FIXTURES, path=f"{stem}.csv")
    described = auto.describe()
    keys = yaml.safe_load(described["yaml"])
    assert set(keys) <= {"text_columns", "segment_columns", "id_column", "time_column"}
    pinned = make(FIXTURES, path=f"{stem}.csv", **keys)
    assert [key(i) for i in items(pinned)] == [key(i) for i in items(auto)]
    assert pinned.describe()["yaml"] is None  # nothing left to choose
    [pinned_file] = pinned.describe()["files"]
    assert pinned_file["automatic"] is False
    assert {c["reason"] for c in pinned_file["columns"] if c["role"] == "text"} == {
        "configured in text_columns"
    }


def test_every_column_has_a_reason_in_the_yaml() -> None:
    text = make(FIXTURES, path="surveymonkey.csv").describe()["yaml"]
    assert (
        '  - "What is the hardest part of your week?"  # surveymonkey.csv: free text: 2 answers, '
        "median 7 words, 100% distinct"
    ) in text
    assert (
        '  "Company size": company_size  # surveymonkey.csv: 3 distinct values: 1-10, 11-50, 51-200'
        in text
    )
    assert 'id_column: "Respondent ID"  # response id (the surveymonkey default)' in text
    assert '#   skipped "IP Address": survey tool metadata, not an answer' in text
    assert (
        '#   skipped "Which tool do you use for invoicing today?": short answers (median 2 '
        "words: Accounting suite, Other (please specify), Spreadsheets)"
    ) in text
    qualtrics = make(FIXTURES, path="qualtrics.csv").describe()["yaml"]
    assert f"""  - "Q2"  # qualtrics.csv: '{HARDEST}', free text""" in qualtrics


def col(name: str) -> Column:
    return Column(0, name, name)


@pytest.mark.parametrize(
    ("name", "values", "role", "reason"),
    [
        ("Contact", ["ann@example.com", "bo@example.org", "cy@example.net"], "skip", "e-mail"),
        ("Website", ["https://a.example", "www.b.example/x"], "skip", "links"),
        ("How likely are you to recommend us?", ["9", "10", "7", "8"], "skip", "numbers"),
        ("When did you start?", ["2026-01-05", "03/04/2025", "2024-12-01 10:00"], "skip", "dates"),
        ("IP Address", ["203.0.113.5 is mine, really"], "skip", "survey tool metadata"),
        ("Favourite colour", ["Blue", "Green", "Red"], "skip", "short answers"),
        (
            "Which sentence is correct?",
            ["It is a long sentence with, commas."] * 8
            + ["It is a long sentence with commas."] * 8,
            "skip",
            "choice list (2 distinct values in 16)",
        ),
        ("Company size", ["1-10", "11-50", "1-10", "500+"], "segment", "3 distinct values"),
        ("What industry are you in?", ["Retail", "Trades"], "segment", "2 distinct values"),
        ("Your role", ["Owner", "Bookkeeper", "Owner"], "segment", "2 distinct values"),
        (
            "Anything else?",
            ["The export to Excel loses the dates.", "Please let me pay by card online."],
            "text",
            "free text: 2 answers, median 7 words, 100% distinct",
        ),
        ("Unused question", ["", " "], "skip", "no answers"),
    ],
)
def test_classify(name: str, values: list[str], role: str, reason: str) -> None:
    choice = classify(col(name), values, set())
    assert (choice.role, reason in choice.reason) == (role, True), choice.reason


def test_a_country_with_many_values_per_answer_is_not_a_segment() -> None:
    values = [f"Country number {n} of the world" for n in range(100)]
    assert classify(col("Country"), values, set()).role == "text"
    used: set[str] = set()
    assert classify(col("Country"), ["DE", "AT"], used).tag == "region"
    assert (
        classify(col("Region"), ["EMEA", "APAC"], used).reason
        == "another column already gives region"
    )


@pytest.mark.parametrize(
    ("question", "tag"),
    [
        ("How many people work at your company?", "company_size"),
        ("Number of employees", "company_size"),
        ("Which industry are you in?", "industry"),
        ("Which country are you based in?", "region"),
        ("Location (Census Region)", "region"),
        ("What is your job title?", "role"),
        ("How old are you?", None),
    ],
)
def test_segment_tags_are_the_personas_words(question: str, tag: str | None) -> None:
    assert segment_tag(question) == tag


def test_segment_values_translate_survey_words(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text(
        "Respondent ID,Feedback,Company size\n"
        "1,Reminders never go out on time for us.,11-50 employees\n"
        "2,The app is slow on Mondays for all of us.,  11-50 EMPLOYEES \n"
        "3,Nothing to add from my side here today.,500+\n"
    )
    conn = make(
        tmp_path, path="s.csv", segment_values={"company_size": {"11-50 employees": "11-50"}}
    )
    assert [i.segment.get("company_size") for i in items(conn)] == ["11-50", "11-50", "500+"]


def test_segment_values_that_contradict_each_other_are_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="are the same value written differently"):
        SurveyFileConnector.Config.model_validate(
            {"path": "s.csv", "segment_values": {"size": {"Small": "1-10", "small ": "11-50"}}}
        )


def test_a_folder_of_two_tools_is_mapped_file_by_file(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("surveymonkey.csv", "qualtrics.xlsx"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    conn = make(tmp_path, path="exports")
    conn.check()
    described = conn.describe()
    assert [f["file"] for f in described["files"]] == ["qualtrics.xlsx", "surveymonkey.csv"]
    keys = yaml.safe_load(described["yaml"])
    assert keys["text_columns"] == [
        "Q2",
        HARDEST,
        "Which tool do you use for invoicing today? - Other (please specify)",
    ]
    assert keys["segment_columns"] == {
        "Q3": "company_size",
        "Q4": "region",
        "Company size": "company_size",
        "Country": "region",
    }
    assert "id_column" not in keys  # two tools, two id columns: left to each file's default
    assert len(items(conn)) == 2 + 3
    pinned = make(tmp_path, path="exports", **keys)
    pinned.check()  # in a folder a text column must be in some export, not in all
    assert sorted(key(i) for i in items(pinned)) == sorted(key(i) for i in items(conn))


def test_no_free_text_column_says_how_to_name_one(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("id,Rating,Plan\n1,5,Pro\n2,3,Free\n")
    with pytest.raises(ConnectorError, match="no column looks like free-text answers") as exc:
        make(tmp_path, path="s.csv").check()
    assert exc.value.hint and "text_columns" in exc.value.hint


@pytest.mark.shared_data
def test_real_exports_are_mapped_with_a_reason_for_every_column() -> None:
    root = SHARED_DATA / "surveys"
    if not root.is_dir():
        pytest.skip(f"shared survey exports not found at {root} (set LISTENER_SHARED_DATA)")
    seen_region = False
    for path in sorted(root.rglob("*.csv")):
        conn = make(path.parent, path=path.name)
        try:
            mappings = conn.mapping()
        except ConnectorError as exc:  # polls without free text say so
            assert "no column looks like free-text answers" in exc.message
            continue
        for mapping in mappings:
            assert all(c.reason for c in mapping.columns)
            seen_region |= any(c.tag == "region" for c in mapping.of("segment"))
    assert seen_region  # FiveThirtyEight's "US Region" / "Location (Census Region)"
