"""The bundled example personas and data: valid, realistic in shape, and useful together.

A newcomer's first `listener run --once` reads these files, so they must load, cover the six weeks
before the reference date, and contain the wording the example personas listen for.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import pytest

from listener.personas import PersonaSet, load_personas

CONFIG = Path(__file__).resolve().parents[2] / "config"
PERSONAS = CONFIG / "personas.example.yaml"
FEEDS = CONFIG / "examples" / "feeds"
SURVEY = CONFIG / "examples" / "surveys" / "nps.csv"

REFERENCE = datetime(2026, 11, 23, tzinfo=UTC)
EARLIEST = REFERENCE - timedelta(weeks=6)

HARDEST = "What is the hardest part of your week?"
WAND = "If you could wave a magic wand, what would our product do for you?"
TEXT_COLUMNS = (HARDEST, WAND)
SEGMENT_VALUES = {
    "Company size": {"1-10", "11-50", "51-200"},
    "Country": {"DE", "AT", "CH", "NL", "UK", "US"},
    "Industry": {"agency", "retail", "trades", "accounting", "consulting"},
}
NPS_COLUMN = "How likely are you to recommend Ledgerleaf to a friend or colleague?"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def personas() -> PersonaSet:
    return load_personas(PERSONAS)


@pytest.fixture(scope="module")
def survey_rows() -> list[dict[str, str]]:
    with SURVEY.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _parse_feed(name: str) -> Any:
    # Parse bytes, never a path: feedparser must not be handed anything it could fetch.
    return feedparser.parse((FEEDS / name).read_bytes())


def _entry_html(entry: Any) -> str:
    if entry.get("content"):
        return str(entry.content[0].value)
    return str(entry.get("summary", ""))


def _plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _submitted(row: dict[str, str]) -> datetime:
    return datetime.strptime(row["Submitted At"], TIME_FORMAT).replace(tzinfo=UTC)


# --- personas ----------------------------------------------------------------------------------


def test_personas_validate_with_three_positive_and_one_negative(personas: PersonaSet) -> None:
    positive = [p for p in personas.personas if not p.negative]
    negative = [p for p in personas.personas if p.negative]
    assert len(positive) == 3
    assert len(negative) == 1
    assert len(personas.version) == 12


def test_every_persona_is_fully_described(personas: PersonaSet) -> None:
    for persona in personas.personas:
        assert {"industry", "company_size", "region"} & set(persona.segment), persona.id
        profile = persona.profile
        assert profile.demographics and profile.psychographics, persona.id
        assert profile.behaviours and profile.goals, persona.id
        assert 4 <= len(persona.pains) <= 6, persona.id
        assert 2 <= len(persona.aspirations) <= 4, persona.id


def test_phrases_are_mostly_multi_word(personas: PersonaSet) -> None:
    for persona in personas.personas:
        for _, attribute in persona.attributes():
            multi = [p for p in attribute.phrases if len(p.replace("-", " ").split()) > 1]
            assert multi, f"{persona.id}.{attribute.id} has no multi-word phrase"


def test_every_attribute_is_heard_in_the_example_data(
    personas: PersonaSet, survey_rows: list[dict[str, str]]
) -> None:
    """Each pain and aspiration has at least one example sentence with one of its phrases.

    Compared on lower-case lookup lemmas, the way the matcher compares them, so "Chasing late
    payments" counts for "chase late payment".
    """
    from listener.nlp.pipeline import build_nlp, lemma_of

    nlp = build_nlp()

    def lemmas(text: str) -> str:
        return " ".join(lemma_of(token.text, nlp) for token in nlp.make_doc(text))

    texts = [row[column] for row in survey_rows for column in TEXT_COLUMNS if row[column]]
    for name in ("smb-forum.xml", "bookkeeping-blog.atom"):
        texts += [_plain(_entry_html(entry)) for entry in _parse_feed(name).entries]
    corpus = [f" {lemmas(' '.join(text.split()))} " for text in texts]

    unheard = []
    for persona in personas.personas:
        for _, attribute in persona.attributes():
            wanted = [f" {lemmas(phrase)} " for phrase in attribute.phrases]
            if not any(w in text for w in wanted for text in corpus):
                unheard.append(f"{persona.id}.{attribute.id}")
    assert not unheard


# --- feeds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "minimum"),
    [("smb-forum.xml", "rss20", 12), ("bookkeeping-blog.atom", "atom10", 8)],
)
def test_feed_parses_with_dated_unique_entries(name: str, version: str, minimum: int) -> None:
    feed = _parse_feed(name)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == version
    assert len(feed.entries) >= minimum
    ids = [entry.id for entry in feed.entries]
    links = [entry.link for entry in feed.entries]
    assert len(set(ids)) == len(ids)
    assert len(set(links)) == len(links)
    for entry in feed.entries:
        published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
        assert EARLIEST <= published < REFERENCE, entry.id
        assert re.match(r"https://[a-z.]+\.example\.(com|org)/", entry.link), entry.link
        assert "<p>" in _entry_html(entry), entry.id


def test_feed_dates_spread_over_the_six_weeks() -> None:
    weeks = set()
    for name in ("smb-forum.xml", "bookkeeping-blog.atom"):
        for entry in _parse_feed(name).entries:
            weeks.add(date(*entry.published_parsed[:3]).isocalendar()[:2])
    assert len(weeks) >= 5


# --- survey ------------------------------------------------------------------------------------


def test_survey_has_the_configured_columns(survey_rows: list[dict[str, str]]) -> None:
    columns = set(survey_rows[0])
    needed = {"Response ID", "Submitted At", NPS_COLUMN, *TEXT_COLUMNS, *SEGMENT_VALUES}
    assert needed <= columns
    # The rest of Typeform's export layout is kept as it comes.
    assert {"Start Date (UTC)", "Network ID", "Response Type"} <= columns


def test_survey_rows_are_well_formed(survey_rows: list[dict[str, str]]) -> None:
    assert len(survey_rows) >= 60
    ids = [row["Response ID"] for row in survey_rows]
    assert len(set(ids)) == len(ids)
    for row in survey_rows:
        assert EARLIEST <= _submitted(row) < REFERENCE, row["Response ID"]
        assert 0 <= int(row[NPS_COLUMN]) <= 10
        for column, allowed in SEGMENT_VALUES.items():
            assert row[column] in allowed, (column, row[column])


def test_survey_spreads_over_at_least_five_iso_weeks(survey_rows: list[dict[str, str]]) -> None:
    weeks = Counter(_submitted(row).isocalendar()[:2] for row in survey_rows)
    assert len(weeks) >= 5
    assert min(weeks.values()) >= 5


def test_survey_has_blank_and_non_english_answers(survey_rows: list[dict[str, str]]) -> None:
    blank = [r for r in survey_rows if not r[HARDEST] and not r[WAND]]
    german_word = re.compile(r"\b(ich|die|mir|wären|bitte|automatische)\b", re.IGNORECASE)
    german = [r for r in survey_rows if german_word.search(f"{r[HARDEST]} {r[WAND]}")]
    assert blank
    assert len(german) >= 3


def _share(rows: list[dict[str, str]], pattern: str) -> float:
    hits = [r for r in rows if re.search(pattern, f"{r[HARDEST]} {r[WAND]}", re.IGNORECASE)]
    return len(hits) / len(rows)


def test_survey_trends(survey_rows: list[dict[str, str]]) -> None:
    """Late payments rise, bank reconciliation fades, e-invoicing appears only lately."""
    recent_start = REFERENCE - timedelta(weeks=2)
    recent = [r for r in survey_rows if _submitted(r) >= recent_start]
    earlier = [r for r in survey_rows if _submitted(r) < recent_start]
    late = r"late payment|pay(ing)? late|cash flow|overdue|get paid"
    assert _share(recent, late) >= 2 * _share(earlier, late)
    bank = r"reconcil"
    assert _share(earlier, bank) > 2 * _share(recent, bank)
    einvoicing = r"e-invoic|xrechnung|zugferd|peppol|e-rechnung"
    assert _share(earlier, einvoicing) == 0
    assert _share(recent, einvoicing) > 0.15
