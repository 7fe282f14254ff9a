"""Survey quotes carry their survey, question and response id to the reports."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from listener.config import load_config
from listener.service import Service
from listener.store import reports
from listener.store.models import EvidenceRow, ItemRow
from tests.listener.helpers import copy_example


def test_quotes_from_the_example_survey_name_survey_question_and_response(tmp_path: Path) -> None:
    service = Service(load_config(copy_example(tmp_path)))
    try:
        service.upgrade()
        service.fetch("nps-q4")
        service.process()
        with service.store.session() as session:
            pairs = session.execute(
                select(EvidenceRow.persona_id, EvidenceRow.attribute_id, EvidenceRow.week)
                .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
                .where(ItemRow.kind == "response")
                .distinct()
            ).all()
            assert pairs
            quotes = [
                q
                for persona, attribute, week in pairs
                for q in reports.quotes(session, persona, attribute, [week], 3)
            ]
            answers = {i.external_id: i for i in session.scalars(select(ItemRow))}
    finally:
        service.close()
    surveyed = [q for q in quotes if q.source == "nps-q4"]
    assert surveyed and all(q.survey is not None for q in surveyed)
    for quote in surveyed:
        assert quote.survey is not None
        assert quote.survey["survey"] == "nps.csv"
        assert quote.survey["question"] in {
            "What is the hardest part of your week?",
            "If you could wave a magic wand, what would our product do for you?",
        }
        key = f"{quote.survey['response_id']}:{quote.survey['question_id']}"
        assert answers[key].survey == quote.survey
