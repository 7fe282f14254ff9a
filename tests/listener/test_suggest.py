"""`listener personas suggest`'s logic: proposals from stored statements, never applied.

The last test is issue 8's must-show 3: on the bundled example, a proposed phrase, pasted into
the personas file, adds evidence after `listener rescore`.
"""

from __future__ import annotations

import json
from dataclasses import replace
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


LATE = (("owner", "late-payments"),)
ROWS = [
    # evidence for late payments: four of five also say their clients ignore reminders
    row(1, "I chase late payments and clients ignore my reminder emails.", "chase payment", LATE),
    row(2, "Clients ignore my reminders, so I chase payments by phone.", "chase payment", LATE),
    row(3, "I chase late payments because clients ignore my reminder.", "chase payment", LATE),
    row(4, "Clients ignore my reminder letters and I chase payment after payment.",
        "chase payment", LATE),
    row(5, "I chase late payments from a spreadsheet export every week.", "chase payment", LATE),
    # not evidence yet: the same wording, and one the evidence used only once
    row(6, "Clients ignore my reminder emails for weeks.", "client ignore reminder"),
    row(7, "Half my clients ignore my reminder emails.", "client ignore reminder"),
    row(8, "Most clients ignore my reminder messages.", "client ignore message"),
    row(9, "The spreadsheet export drops half the columns.", "spreadsheet export drop"),
    row(10, "Our spreadsheet export never opens in Excel.", "spreadsheet export open"),
    row(11, "The bank feed breaks every Monday.", "bank feed break"),
    row(12, "Our bank feed breaks again and again.", "bank feed break"),
    row(13, "The bank feed breaks after every update.", "bank feed break"),
    row(14, "Receipts go missing every week.", "receipt go missing"),
    row(15, "Payroll runs late every week.", "payroll run late"),
    row(16, "The mobile app crashes every week.", "mobile app crash"),
    row(17, "Quotes take too long to write.", "quote take long"),
    row(18, "Our accountant never answers emails.", "accountant never answer"),
    row(19, "Mileage logs are a mess.", "mileage log mess"),
    row(20, "Supplier bills arrive as blurry photos.", "supplier bill arrive"),
    row(21, "Year-end closing ruins December.", "year end closing"),
    row(22, "Stock counts never match the shop system.", "stock count match"),
    row(23, "Expense claims pile up on my desk.", "expense claim pile"),
]  # fmt: skip


@pytest.fixture(scope="module")
def proposals() -> object:
    return suggest(PERSONAS, ROWS, build_nlp(None), weeks=4, since_week="2026-W43")


def test_it_proposes_wordings_tied_to_an_attributes_evidence(proposals: object) -> None:
    """Four of the five evidence statements say it, against seven of all 23: 2.6× as often, q < 0.1.
    "spreadsheet export" is used once by the evidence and twice elsewhere: no tie, no proposal."""
    (found,) = proposals.add  # type: ignore[attr-defined]
    assert (found.attribute, found.phrase) == ("late-payments", "clients ignore my reminder")
    assert found.adds == 3 and found.cooccurs == 4
    assert found.quotes[0] == "Clients ignore my reminder emails for weeks."
    assert found.why.startswith("4 of its 5 evidence statements use it, 2.6× as often")


def test_a_wording_seen_once_beside_evidence_is_not_proposed() -> None:
    """The old rule proposed any wording that one evidence statement used."""
    few = [r for r in ROWS if r.id not in (2, 3, 4)]  # the tie now rests on one statement
    found = suggest(PERSONAS, few, build_nlp(None), weeks=4, since_week="2026-W43")
    assert found.add == []


def test_a_negated_wording_is_never_proposed() -> None:
    """ "Doesn't work" was proposed for a mobile app's Android-version pain: a negation is how
    a complaint is said, every attribute's, not what it is about."""
    said = "Reminders doesn't work for my clients"
    negated = (
        [row(n, f"{said}, and I chase late payments.", "chase payment", LATE) for n in range(1, 6)]
        + [row(n, f"{said} at all.", "reminder work") for n in range(6, 9)]
        + ROWS[8:]
    )
    found = suggest(PERSONAS, negated, build_nlp(None), weeks=4, since_week="2026-W43")
    assert found.add, "the tie is there: without the negation rule a wording is proposed"
    assert all("n't" not in p.phrase and "not" not in p.phrase.split() for p in found.add)


def test_a_plea_for_a_repair_is_never_proposed() -> None:
    """ "Plz fix" was proposed for a mobile app's device pain: it names no attribute."""
    said = "Plz fix: I chase late payments and clients ignore my reminder emails."
    pleas = [row(n, said, "chase payment", LATE) for n in range(1, 6)]
    pleas += [row(n, "Plz fix the export.", "export") for n in range(24, 27)] + ROWS[5:]
    found = suggest(PERSONAS, pleas, build_nlp(None), weeks=4, since_week="2026-W43")
    phrases = [p.phrase.lower() for p in found.add]
    assert "clients ignore my reminder" in phrases  # the topical wording is still proposed
    assert not [p for p in phrases if "fix" in p.split()]


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
    assert existing["id"] == "late-payments"
    assert "clients ignore my reminder" in existing["phrases"]
    assert new == {
        "id": "bank-feed-break",
        "label": "Bank feed break",
        "phrases": ["bank feed break"],
    }
    assert "Never matched in 4 weeks" in text and "Nothing here is applied" in text
    assert '#   owner / aspiration reminders (phrases): "auto reminder"' in text
    assert '"phrase": "clients ignore my reminder"' in render_json(proposals)  # type: ignore[arg-type]


def test_pasting_the_patch_never_empties_an_attributes_phrases(proposals: object) -> None:
    """ "reminders" has only a wording that never matched: the patch must not give it a
    `phrases:` key with nothing under it (YAML null), nor a kind or persona key with nothing
    under it."""
    patch = yaml.safe_load(render_yaml(proposals))  # type: ignore[arg-type]
    for persona in patch["personas"]:
        for kind in ("pains", "aspirations"):
            if kind in persona:
                assert persona[kind], (persona["id"], kind)
                for attribute in persona[kind]:
                    assert attribute["phrases"], attribute
                    assert attribute["id"] != "reminders"
    only_stale = replace(proposals, add=[], new=[])  # type: ignore[type-var]
    assert yaml.safe_load(render_yaml(only_stale)) is None  # comments only: nothing to paste


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
    # and rescore says what the change did
    line = f"  {best.persona}/{best.attribute}: {before} → {after} (+{after - before})"
    assert line in rescore.stdout.splitlines(), rescore.stdout


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
