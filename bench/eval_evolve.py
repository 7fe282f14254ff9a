"""Personas that evolve, measured: evidence linking on URR's held-out reviews with the mobile-app
personas as written, and after one round of ``listener personas suggest`` over other reviews.

    .venv/bin/python bench/eval_evolve.py [--data PATH] [--min-count 2] [--show]

The app reviews of the tuning split (URR and Google Play) are analysed with the personas as
written, as the daemon would over some weeks. Their statements and evidence go to the same
``suggest()`` that ``listener personas suggest`` runs; no label or topic is read. Every phrase it
proposes to add is pasted in, as a marketer who accepts the whole patch would (new attributes
are left out: no URR topic is mapped to them; stale phrases are kept, removing one can only lose
links). Then both personas files are scored on the held-out URR reviews with eval_nlp.py's
linking table (a complaint with topic X should give pain evidence for X's attribute), beside the
keyword grep of the file as written. ``--show`` prints the phrases that were added.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_nlp import PERSONAS_OF, build, fmt, linking_table, run_path

from listener.analysis import Analyser
from listener.nlp.datasets import Example, default_feedback_dir, load_examples
from listener.personas import PersonaSet, load_personas
from listener.store.suggest import StoredStatement
from listener.suggest.proposals import MIN_COUNT, PhraseProposal, suggest

WEEK = "2026-W01"
"""Every tuning review is put in one week: suggest() reads one window."""


def statements_of(analyser: Analyser, texts: list[str]) -> list[StoredStatement]:
    """What the store would hold after processing ``texts``: statements with their evidence."""
    out: list[StoredStatement] = []
    for item_id, analysis in enumerate(analyser.analyse_many(texts)):
        for statement, matches in analysis.statements:
            out.append(
                StoredStatement(
                    id=len(out),
                    item_id=item_id,
                    kind=statement.kind,
                    text=statement.text,
                    theme=statement.theme,
                    week=WEEK,
                    evidence=tuple((m.persona, m.attribute) for m in matches),
                )
            )
    return out


def with_phrases(personas: PersonaSet, proposals: list[PhraseProposal]) -> PersonaSet:
    """The personas file with every proposed phrase pasted under its attribute."""
    data: dict[str, Any] = personas.model_dump(mode="json", exclude_defaults=True)
    added: dict[tuple[str, str, str], list[str]] = {}
    for p in proposals:
        added.setdefault((p.persona, p.kind, p.attribute), []).append(p.phrase)
    for persona in data["personas"]:
        for kind, field in (("pain", "pains"), ("aspiration", "aspirations")):
            for attribute in persona.get(field, []):
                extra = added.get((persona["id"], kind, attribute["id"]), [])
                attribute["phrases"] = [*attribute.get("phrases", []), *extra]
    return PersonaSet.model_validate(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument("--min-count", type=int, default=MIN_COUNT)
    parser.add_argument("--show", action="store_true", help="print the phrases added")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        raise SystemExit(f"no labelled feedback at {args.data}: pass --data PATH")

    everything = load_examples(args.data)
    app = PERSONAS_OF["urr"]
    tune = [ex for ex in everything if ex.split == "tune"]
    stream = [ex.text for ex in tune if PERSONAS_OF.get(ex.dataset) == app]
    held: list[Example] = [ex for ex in everything if ex.split == "heldout" and ex.dataset == "urr"]
    written = load_personas(app)

    analyser = build("default", written, None)
    rows = statements_of(analyser, stream)
    found = suggest(written, rows, analyser.extractor.nlp, 1, WEEK, args.min_count)
    evolved = with_phrases(written, found.add)
    print(
        f"suggest over {len(stream):,} tuning app reviews ({len(rows):,} statements, "
        f"{sum(bool(r.evidence) for r in rows):,} with evidence): {len(found.add)} phrases "
        f"proposed for {len({(p.persona, p.attribute) for p in found.add})} attributes"
    )
    if args.show:
        for p in found.add:
            print(f"  {p.persona}/{p.attribute}: + {p.phrase!r} ({p.adds} would be added)")

    texts = [ex.text for ex in held]
    paths = {
        "as written": run_path(analyser, texts)[0],
        "evolved": run_path(build("default", evolved, None), texts)[0],
    }
    table = linking_table(tune, held, paths, written, tfidf=False)
    print(f"\nlinking on URR held-out ({len(held)} reviews): pain evidence per attribute, P R F1")
    columns = [*paths, "grep"]
    print(f"{'attribute':<22}{'topic':<20}{'pos':>5}" + "".join(f"{c:>19}" for c in columns))
    for row in table:
        cells = "".join(f"{fmt(row[c]):>19}" for c in columns)
        print(f"{row['attribute']:<22}{row['topic']:<20}{row['pos']:>5}{cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
