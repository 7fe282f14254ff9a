"""A digest built by hand (no database), for the golden-file and screenshot tests.

It holds every kind of line a digest can have: a rise, a fall, a climb, a persona note, steady
lines with thin data, an emerging theme, a negative persona, a degraded source, and customer
text that must be escaped and masked, plus a long unbroken word that must not widen the page.
"""

from __future__ import annotations

from listener.digest.build import Digest, Mover, PersonaView, SourceView, Steady, ThemeView
from listener.store.reports import Totals

WEEKS = [f"2026-W{n}" for n in range(39, 48)]


def _quote(text: str, day: str, survey: bool = False) -> dict[str, object]:
    return {
        "text": text,
        "date": day,
        "source": "nps-q4" if survey else "smb-forums",
        "url": None if survey else "https://forum.example.com/t/10718",
        "survey": "nps.csv" if survey else None,
        "question": "What is the hardest part of your week?" if survey else None,
        "response_id": "r7jxkovp" if survey else None,
    }


def sample_digest() -> Digest:
    olivia = PersonaView(
        id="agency-owner",
        name="Olivia, owner-operator of a small agency",
        negative=False,
        series=(9, 10, 8, 11, 9, 10, 9, 12, 30),
        this_week=30,
        movers=[
            Mover(
                label="Chasing late payments",
                kind="pain",
                finding="rising",
                sentence="Chasing late payments: 19 mentions from 18 people this week, 2.5× the "
                "usual (7.3 expected), q = 0.02",
                series=(6, 5, 7, 6, 5, 7, 6, 6, 18),
                quotes=[
                    _quote("Chasing late payments eats my Friday <every> week.", "2026-11-20"),
                    _quote(
                        "We chase unpaid invoices, mail [e-mail] if you know a fix.",
                        "2026-11-19",
                        True,
                    ),
                ],
            ),
            Mover(
                label="Typing invoices by hand",
                kind="pain",
                finding="fading",
                sentence="Typing invoices by hand: 3 people this week, down to 0.2× the usual "
                "(15.3 expected), q < 0.01",
                series=(14, 15, 14, 12, 10, 8, 6, 4, 3),
                quotes=[_quote("I still type invoices by hand.", "2026-11-18", True)],
                incomplete="figures incomplete: smb-forums degraded this week",
            ),
        ],
        steady=[
            Steady("Cash-flow worries", "pain", 5.5, None, 3.1, 5.2),
            Steady("Getting paid faster", "aspiration", 0.4, None, 22.9, 0.2),
            Steady("Snapping receipts with a phone", "aspiration", 2.6, None, 4.8, 2.6),
        ],
        notes=[
            "all pains: climbing over the last 4 weeks: 120 mentions from 110 people, 1.4× "
            "the usual (80.0 expected), q = 0.04"
        ],
    )
    procurement = PersonaView(
        id="procurement",
        name="Enterprise procurement (not our customer)",
        negative=True,
        series=(3, 3, 3, 4, 5, 8, 10, 12, 12),
        this_week=12,
        movers=[
            Mover(
                label="Requires single sign-on",
                kind="pain",
                finding="trend_up",
                sentence="Requires single sign-on: climbing over the last 4 weeks: 29 mentions "
                "from 29 people, 5.0× the usual (5.8 expected), q < 0.01",
                series=(1, 1, 2, 1, 2, 4, 6, 8, 11),
                quotes=[_quote("Procurement requires SSO for every tool.", "2026-11-17", True)],
            )
        ],
        steady=[Steady("Vendor security reviews", "pain", 1.8, None, 3.4, 1.9)],
    )
    return Digest(
        week="2026-W47",
        since="2026-W47",
        weeks=WEEKS,
        subject="Listener 2026-W47: Chasing late payments up 2.5×; Cash-flow worries up 2.0×",
        changes=[
            "Chasing late payments: 19 mentions from 18 people this week, 2.5× the usual "
            "(7.3 expected), q = 0.02",
            "Typing invoices by hand: 3 people this week, down to 0.2× the usual (15.3 expected), "
            "q < 0.01",
            "New pain no persona covers: “Uploading a receipt crashes the mobile app.”: 9 people "
            "this week (0.4 expected), q < 0.01",
        ],
        personas=[olivia],
        negatives=[procurement],
        themes=[
            ThemeView(
                name="Uploading a receipt crashes the mobile app.",
                kind="pain",
                sentence="New pain no persona covers: “Uploading a receipt crashes the mobile "
                "app.”: 9 people this week (0.4 expected), q < 0.01",
                quotes=[
                    _quote(
                        "Supercalifragilisticexpialidociousreceiptuploaderthatcrashes"
                        "everytimeandneverstopscrashingwhateveryoudo!!!",
                        "2026-11-19",
                    )
                ],
            )
        ],
        sources=[
            SourceView(
                "smb-forums", "degraded", "smb-forums had 12 voices, under half its usual 40"
            ),
            SourceView("nps-q4", "ok", None),
        ],
        voices=87,
        totals=Totals(items=1227, statements=1227, evidence=651),
    )
