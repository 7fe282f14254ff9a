"""`listener personas suggest`'s logic: proposals from stored statements, never applied.

The last test is issue 8's must-show 3: on the bundled example, a proposed phrase, pasted into
the personas file, adds evidence after `listener rescore`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from listener.cli import main
from listener.config import load_config
from listener.nlp.pipeline import build_nlp
from listener.personas import PersonaSet, load_personas
from listener.store.db import Store
from listener.store.models import EvidenceRow
from listener.store.suggest import StoredStatement, statements_since
from listener.suggest import render_json, render_yaml, suggest
from tests.listener.helpers import copy_example

PERSONAS = PersonaSet.model_validate(
    {
        "personas": [
            {
                "id": "owner",
                "name": "Owner",
                "pains": [
                    {
                        "id": "late-payments",
                        "label": "Late payments",
                        "phrases": ["chase late payment", "wait to get paid"],
                        "keywords": ["overdue"],
                    }
                ],
                "aspirations": [
                    {"id": "reminders", "label": "Reminders", "phrases": ["auto reminder"]}
                ],
            }
        ]
    }
)


def row(
    n: int, text: str, theme: str = "", evidence: tuple[tuple[str, str], ...] = ()
) -> StoredStatement:
    return StoredStatement(n, n, "pain", text, theme, "2026-W45", evidence)


ROWS = [
    row(1, "I chase late payments and clients ignore my reminder emails.", "chase payment",
        (("owner", "late-payments"),)),
    row(2, "Clients ignore my reminder emails for weeks.", "client ignore reminder"),
    row(3, "Half my clients ignore reminder emails.", "client ignore reminder"),
    row(4, "The bank feed breaks every Monday.", "bank feed break"),
    row(5, "Our bank feed breaks again and again.", "bank feed break"),
    row(6, "The bank feed breaks after every update.", "bank feed break"),
]  # fmt: skip


@pytest.fixture(scope="module")
def proposals() -> object:
    return suggest(PERSONAS, ROWS, build_nlp(None), weeks=4, since_week="2026-W43")


def test_it_proposes_wordings_that_cooccur_with_evidence(proposals: object) -> None:
    (found,) = proposals.add  # type: ignore[attr-defined]
    assert (found.attribute, found.phrase) == ("late-payments", "client ignore reminder")
    assert found.adds == 2 and found.cooccurs == 1
    assert found.quotes[0] == "Clients ignore my reminder emails for weeks."


def test_it_lists_wordings_that_never_matched(proposals: object) -> None:
    stale = {(w.attribute, w.field, w.wording) for w in proposals.stale}  # type: ignore[attr-defined]
    assert stale == {
        ("late-payments", "phrases", "wait to get paid"),
        ("late-payments", "keywords", "overdue"),
        ("reminders", "phrases", "auto reminder"),
    }


def test_it_proposes_new_attributes_from_recurring_uncovered_themes(proposals: object) -> None:
    new = proposals.new  # type: ignore[attr-defined]
    assert [(n.kind, n.id, n.phrase, n.count) for n in new] == [
        ("pain", "bank-feed-break", "bank feed break", 3)
    ]


def test_nothing_already_in_the_file_is_proposed(proposals: object) -> None:
    existing = {
        w for p in PERSONAS.personas for _, a in p.attributes() for w in (*a.phrases, *a.keywords)
    }
    assert not {p.phrase for p in proposals.add} & existing  # type: ignore[attr-defined]


def test_the_yaml_patch_parses_and_the_json_carries_the_same(proposals: object) -> None:
    text = render_yaml(proposals)  # type: ignore[arg-type]
    patch = yaml.safe_load(text)
    (persona,) = patch["personas"]
    assert persona["id"] == "owner"
    (existing, new) = persona["pains"]
    assert existing["id"] == "late-payments" and "client ignore reminder" in existing["phrases"]
    assert new == {
        "id": "bank-feed-break",
        "label": "Bank feed break",
        "phrases": ["bank feed break"],
    }
    assert "never matched in 4 weeks" in text and "Nothing here is applied" in text
    assert '"phrase": "client ignore reminder"' in render_json(proposals)  # type: ignore[arg-type]


def _evidence(store: Store, attribute: str) -> int:
    with store.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(EvidenceRow)
                .where(EvidenceRow.attribute_id == attribute)
            )
            or 0
        )


def test_a_proposed_phrase_adds_evidence_after_rescore_on_the_bundled_example(
    tmp_path: Path,
) -> None:
    config_path = copy_example(tmp_path)
    runner = CliRunner()
    args = ["--log-level", "warning"]
    run = runner.invoke(
        main, [*args, "run", "--once", "-c", str(config_path), "--as-of", "2026-11-23T12:00"]
    )
    assert run.exit_code == 0, run.stderr
    config = load_config(config_path)
    store = Store(config.database_url)
    with store.session() as session:
        rows = list(statements_since(session, "2026-W01", config.personas.version))
    proposals = suggest(config.personas, rows, build_nlp(None), weeks=52, since_week="2026-W01")
    assert proposals.add, "no phrase proposed on the bundled example"
    existing = {
        w.lower()
        for p in config.personas.personas
        for _, a in p.attributes()
        for w in (*a.phrases, *a.keywords)
    }
    assert not {p.phrase for p in proposals.add} & existing
    best = proposals.add[0]
    before = _evidence(store, best.attribute)

    personas_path = config_path.parent / "personas.example.yaml"
    data = yaml.safe_load(personas_path.read_text())
    for persona in data["personas"]:
        for attribute in persona.get(f"{best.kind}s", []):
            if persona["id"] == best.persona and attribute["id"] == best.attribute:
                attribute["phrases"].append(best.phrase)
    personas_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert load_personas(personas_path).version != config.personas.version

    rescore = runner.invoke(main, [*args, "rescore", "-c", str(config_path)])
    assert rescore.exit_code == 0, rescore.stderr
    after = _evidence(store, best.attribute)
    assert after > before, (best, before, after)


def test_the_command_prints_a_patch_and_json_and_changes_nothing(tmp_path: Path) -> None:
    config_path = copy_example(tmp_path)
    personas_path = config_path.parent / "personas.example.yaml"
    before = personas_path.read_text()
    runner = CliRunner()
    args = ["--log-level", "warning"]
    run = runner.invoke(
        main, [*args, "run", "--once", "-c", str(config_path), "--as-of", "2026-11-23T12:00"]
    )
    assert run.exit_code == 0, run.stderr
    out = runner.invoke(
        main, [*args, "personas", "suggest", "-c", str(config_path), "--weeks", "104"]
    )
    assert out.exit_code == 0, out.stderr
    patch = yaml.safe_load(out.stdout)
    assert out.stdout.startswith("# listener personas suggest:") and patch["personas"]
    as_json = runner.invoke(
        main, [*args, "personas", "suggest", "-c", str(config_path), "--weeks", "104", "--json"]
    )
    data = json.loads(as_json.stdout)
    assert (
        data["weeks"] == 104 and data["add"] and {"phrase", "adds", "quotes"} <= set(data["add"][0])
    )
    assert personas_path.read_text() == before  # never applied
