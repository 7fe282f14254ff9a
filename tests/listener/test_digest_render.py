"""The digest as marketers read it, against golden files (rss2email's feed → expected e-mail).

The Digest is built by hand, so these files change only when the templates do. After an
intended template change, regenerate with LISTENER_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.digest.build import AttributeLine, Digest, PersonaSection
from listener.digest.render import render_html, render_text
from listener.store.reports import Quote, Totals

GOLDEN = Path(__file__).parent / "golden"
WEEKS = [f"2026-W{n}" for n in range(40, 48)]


def _digest() -> Digest:
    quote = Quote(
        text="Chasing late payments eats my Friday <every> week.",
        url="https://forum.example.com/t/10718",
        source="smb-forums",
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
        score=1.0,
    )
    rising = AttributeLine(
        "agency-owner", "late-payments", "Chasing late payments", "pain", 6,
        1.0, [1, 0, 2, 1, 1, 1, 1, 6], [quote],
    )  # fmt: skip
    fading = AttributeLine(
        "agency-owner", "bank-feed", "Reconciling the bank feed", "pain", 0,
        3.0, [3, 3, 3, 3, 3, 3, 3, 0], [],
    )  # fmt: skip
    fresh = AttributeLine(
        "procurement", "sso", "Single sign-on", "aspiration", 2, 0.0, [0] * 7 + [2], []
    )
    return Digest(
        week="2026-W48",
        reported_week="2026-W47",
        weeks=WEEKS,
        sections=[
            PersonaSection("agency-owner", "Olivia, agency owner", False, [rising, fading]),
            PersonaSection("procurement", "Enterprise procurement", True, [fresh]),
        ],
        new_themes=[("pain", "e-invoicing mandate", 4)],
        totals=Totals(items=178, statements=172, evidence=137),
        evidence_in_week=8,
    )


@pytest.mark.parametrize(
    ("name", "render"), [("digest.txt", render_text), ("digest.html", render_html)]
)
def test_digest_matches_the_golden_file(name: str, render) -> None:  # type: ignore[no-untyped-def]
    rendered = render(_digest())
    golden = GOLDEN / name
    if os.environ.get("LISTENER_UPDATE_GOLDEN") == "1":
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_trends_and_escaping() -> None:
    digest = _digest()
    lines = digest.sections[0].lines
    assert [line.trend for line in lines] == ["rising", "fading"]
    assert digest.sections[1].lines[0].trend == "new"
    html = render_html(digest)
    assert "&lt;every&gt;" in html and "<every>" not in html  # customer text is escaped
