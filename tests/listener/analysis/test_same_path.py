"""`listener extract --personas` shows what the daemon stores: both run the same Analyser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from listener.cli.extract import extract
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas
from listener.processing import Processor, _Pending

from .conftest import PM_SAAS

TEXTS = [
    "Scope creep is killing us. Please add a Gantt view the client can see.",
    "Every project has scope creep now…",
    "We never go over budget.",
    "Wir haben ständig Probleme mit dem Budget.",
    "Timesheets are always late and I end up chasing people on Slack.",
]


def test_extract_and_the_daemon_give_the_same_statements_and_evidence(
    extractor: Extractor,
) -> None:
    personas = load_personas(PM_SAAS)
    processor = Processor(
        extractor, PersonaMatcher(personas, extractor.nlp), personas, ZoneInfo("UTC")
    )
    now = datetime(2026, 11, 23, tzinfo=UTC)
    pending = [
        _Pending(n, 1, None, None, text, None, now, now, {}, str(n)) for n, text in enumerate(TEXTS)
    ]
    daemon = [
        (
            [
                {
                    "kind": s.kind,
                    "text": s.text,
                    "start": s.start,
                    "end": s.end,
                    "theme": s.theme,
                    "matches": [
                        {"persona": m.persona, "attribute": m.attribute, "score": round(m.score, 4)}
                        for m in matches
                    ],
                }
                for s, matches in result.statements
            ],
            result.skipped,
        )
        for result in processor._analyse(pending)
    ]
    stdin = "".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in enumerate(TEXTS))
    out = CliRunner().invoke(extract, ["--personas", str(PM_SAAS)], input=stdin)
    assert out.exit_code == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    shown = [(line["statements"], line.get("skipped")) for line in lines]
    assert shown == daemon
    assert any(s["matches"] for s in lines[1]["statements"])  # persona wording made evidence
    assert lines[3]["skipped"] == "language"
