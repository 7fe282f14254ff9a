"""Every tool's export, as CSV and as Excel: the same responses, texts and segments come out.

The fixtures in surveys/ are laid out as each tool writes them (see its README); the .xlsx ones
are written from the CSVs by surveys/make_xlsx.py with the tools' Excel habits (numbers as
numbers, Google Forms' date cells, SurveyMonkey's merged question cells, named sheets).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Batch, ConnectorContext
from connectors.survey_file import SurveyFileConnector

FIXTURES = Path(__file__).parent / "surveys"
HARDEST = "What is the hardest part of your week?"
WISH = "What would you love your invoicing tool to do?"

Answer = tuple[str | None, str, dict[str, str]]
"""(response id, or None where the export has none and a row hash is used; text; segment)"""

# stem → (config, answers, first created_at, rejected rows)
EXPECTED: dict[str, tuple[dict[str, Any], list[Answer], Any, int]] = {
    "typeform": (
        {
            "text_columns": [HARDEST, WISH],
            "segment_columns": {
                "How many people work at your company?": "company_size",
                "Which country are you based in?": "region",
            },
        },
        [
            ("k3v9q2m8x1tfa7", "Chasing clients who pay late, every single Friday.",
             {"company_size": "11-50", "region": "Germany"}),
            ("k3v9q2m8x1tfa7", "I wish it sent reminders by itself.",
             {"company_size": "11-50", "region": "Germany"}),
            ("p8w2n5r7c0tfb3", "Month end. Reconciling the bank feed takes me two evenings,\n"
             "and the export to my accountant breaks every time.",
             {"company_size": "1-10", "region": "Austria"}),
            ("z1x4c6v8b2tfc9", "Let the team approve expenses from their phones.",
             {"company_size": "51-200", "region": "France"}),
        ],
        datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC),
        0,
    ),
    "surveymonkey": (
        {
            "text_columns": [
                HARDEST,
                "Which tool do you use for invoicing today? - Other (please specify)",
            ],
            "segment_columns": {"Company size": "company_size", "Country": "region"},
        },
        [
            ("114520367801",
             "Payroll week: three spreadsheets, two logins, one very long night.",
             {"company_size": "11-50", "region": "Netherlands"}),
            ("114520367802", "Nothing major this week.", {"company_size": "1-10"}),
            ("114520367802", "A notebook and a lot of patience", {"company_size": "1-10"}),
        ],
        datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC),
        0,
    ),
    "google_forms": (
        {
            "text_columns": [HARDEST, "What would make your month easier?"],
            "segment_columns": {"Company size": "company_size", "Country": "region"},
        },
        [
            (None, "Getting receipts out of everyone's inbox before the VAT deadline.",
             {"company_size": "11-50", "region": "Ireland"}),
            (None, "One place where receipts land automatically.",
             {"company_size": "11-50", "region": "Ireland"}),
            (None, "I spend Monday copying hours into invoices, which feels silly.",
             {"company_size": "1-10", "region": "Portugal"}),
            (None, "Honestly, fewer tools.", {"company_size": "1-10"}),
        ],
        datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC),
        0,
    ),
    "qualtrics": (
        {"text_columns": ["Q2"], "segment_columns": {"Q3": "company_size", "Q4": "region"}},
        [
            ("R_3kTz9QmV1xYp2Lb", "Approvals wait on one person who is always travelling.",
             {"company_size": "11-50", "region": "Canada"}),
            ("R_9zYxW8vUtS7rQpO", "Currency conversions. Every client pays in a different one.",
             {"company_size": "51-200", "region": "Mexico"}),
        ],
        datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC),  # 10:03:11 America/New_York by ImportId
        0,
    ),
    "qualtrics_legacy": (
        {"text_columns": [HARDEST], "segment_columns": {"Company size": "company_size"}},
        [
            ("R_6mNoP4qRsT5uVwX", "Keeping track of which client has which payment terms.",
             {"company_size": "11-50"}),
        ],
        None,  # legacy exports have no RecordedDate; EndDate is configured below
        0,
    ),
    "limesurvey": (
        {
            "text_columns": [HARDEST, "Anything else you would like to tell us?"],
            "segment_columns": {
                "How many people work at your company?": "company_size",
                "Which industry are you in?": "industry",
            },
        },
        [
            ("1", "Matching bank payments to invoices by hand, line by line.",
             {"company_size": "11-50", "industry": "Retail"}),
            ("1", "The mobile app logs me out every single day.",
             {"company_size": "11-50", "industry": "Retail"}),
            ("2", "Please add a dark mode for the late evenings.",
             {"company_size": "1-10", "industry": "Consulting"}),
            ("3", "Die Mahnungen schreibe ich immer noch selbst.", {}),
        ],
        datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC),
        0,
    ),
    "plain": (
        {
            "text_columns": ["answer"],
            "time_column": "submitted",
            "segment_columns": {"team size": "company_size", "region": "region"},
            "format": "plain",
        },
        [
            (None, "Our reporting is always a week behind the numbers.",
             {"company_size": "11-50", "region": "EMEA"}),
            (None, "I would like the dashboard to show cash runway.", {"company_size": "1-10"}),
        ],
        datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC),
        1,  # the third row has no id, no time and no text: reported, not stored
    ),
}  # fmt: skip


RESPONSES = {
    "typeform": 3,
    "surveymonkey": 2,
    "google_forms": 3,
    "qualtrics": 2,
    "qualtrics_legacy": 1,
    "limesurvey": 3,
    "plain": 2,
}
"""Responses with at least one answered text column."""


def fetch(name: str, **config: Any) -> list[Batch]:
    conn = SurveyFileConnector(
        SurveyFileConnector.Config.model_validate({"path": name, **config}),
        ConnectorContext("layouts", FIXTURES),
    )
    conn.check()
    return list(conn.fetch(None))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_export_layout(stem: str, suffix: str) -> None:
    config, expected, first_time, rejects = EXPECTED[stem]
    if stem == "qualtrics_legacy":
        config = {**config, "time_column": "EndDate"}
    batches = fetch(stem + suffix, **config)
    items = [item for batch in batches for item in batch.items]
    got = [(i.external_id.rsplit(":", 1)[0], i.text, dict(i.segment)) for i in items]
    assert [(t, s) for _, t, s in got] == [(t, s) for _, t, s in expected]
    for (rid, _, _), (want, _, _) in zip(got, expected, strict=True):
        assert rid == want if want is not None else rid.startswith("row-")
    assert len({rid for rid, _, _ in got}) == RESPONSES[stem]
    if first_time is not None:
        assert items[0].created_at == first_time
    if stem == "qualtrics_legacy":
        assert items[0].created_at == datetime(2026, 10, 5, 14, 3, 11, tzinfo=UTC)
    assert sum(len(b.rejected) for b in batches) == rejects
    for item in items:  # every answer names its survey, question and response
        assert item.survey is not None
        assert item.survey.survey == stem + suffix
        assert item.survey.question == item.title
        assert item.survey.response_id == item.external_id.rsplit(":", 1)[0]
        assert item.metadata["format"] == ("qualtrics" if "qualtrics" in stem else stem)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_excel_and_csv_give_the_same_answers(stem: str) -> None:
    config = EXPECTED[stem][0]
    if stem == "qualtrics_legacy":
        config = {**config, "time_column": "EndDate"}
    csv_items = [i for b in fetch(stem + ".csv", **config) for i in b.items]
    xlsx_items = [i for b in fetch(stem + ".xlsx", **config) for i in b.items]
    assert [
        (i.text, i.title, i.created_at, dict(i.segment), i.metadata["row"]) for i in csv_items
    ] == [(i.text, i.title, i.created_at, dict(i.segment), i.metadata["row"]) for i in xlsx_items]
    if stem != "google_forms" and stem != "plain":  # row-hash ids depend on the cells' text
        assert [i.external_id for i in csv_items] == [i.external_id for i in xlsx_items]
