"""Survey quotes name their survey, question and response, as the digest and alerts show them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from listener.alerts.quotes import pick
from listener.config import load_config
from listener.service import Service
from listener.store import series
from listener.store.models import EvidenceRow, ItemRow
from tests.listener.helpers import copy_example


def test_quotes_from_the_example_survey_name_survey_question_and_response(tmp_path: Path) -> None:
    service = Service(load_config(copy_example(tmp_path)))
    try:
        service.upgrade()
        service.fetch("nps-q4")
        service.process()
        with service.store.session() as session:
            rows = session.execute(
                select(EvidenceRow.persona_id, EvidenceRow.attribute_id, EvidenceRow.week)
                .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
                .where(ItemRow.kind == "response")
                .distinct()
            ).all()
            assert rows
            cells = sorted({(persona, attribute) for persona, attribute, _ in rows})
            weeks = sorted({week for _, _, week in rows})
            found = series.attribute_quotes(session, cells, weeks, 3)
            answers = {i.external_id: i for i in session.scalars(select(ItemRow))}
    finally:
        service.close()
    quotes = [q for rows_ in found.values() for q in pick(rows_, 3)]
    surveyed = [q for q in quotes if q["source"] == "nps-q4"]
    assert surveyed and all(q["survey"] == "nps.csv" for q in surveyed)
    questions = {
        "What is the hardest part of your week?",
        "If you could wave a magic wand, what would our product do for you?",
    }
    for quote in surveyed:
        assert quote["question"] in questions and quote["response_id"]
        assert any(
            item.survey and item.survey["response_id"] == quote["response_id"]
            for key, item in answers.items()
            if key.startswith(quote["response_id"])
        )
