"""Fourteen weeks of survey answers with known changes in them, for the drift end-to-end tests.

Written for listener's tests (not real data): each answer is one respondent's reply to "What is
the hardest part of your week?" (a pain question) or "What would you love us to build?" (an
aspiration question), worded with a phrase of tests/fixtures/drift_personas.yaml. The weekly
counts are fixed, so the test knows what must be found:

- ``late-payments`` spikes to 3x in the last week;
- ``cash-flow`` climbs about 20 % a week over the last six weeks;
- ``manual-invoicing`` fades to a fifth over the last six weeks;
- the negative persona's ``sso`` pain grows from 1–2 to 11 a week;
- a theme no persona covers ("the mobile app crashes ...") appears in the last three weeks;
- ``vat-returns``, ``bank-feed``, ``security-review`` and ``mobile-receipts`` stay steady, and
  a rotating set of one-off complaints keeps the volume up.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

FIRST_MONDAY = date(2026, 8, 17)  # 2026-W34; the last of the 14 weeks is 2026-W47
WEEKS = 14
REPORTED_WEEK = "2026-W47"
AS_OF = "2026-11-23T12:00"  # Monday of W48, after the 08:00 (Berlin) digest moment
PAIN_QUESTION = "What is the hardest part of your week?"
WISH_QUESTION = "What would you love us to build?"
HEADER = ["Response ID", PAIN_QUESTION, WISH_QUESTION, "Company size", "Industry", "Submitted At"]

PAINS: dict[str, tuple[list[int], list[str], tuple[str, str]]] = {
    "late-payments": (
        [6, 5, 7, 6, 5, 7, 6, 6, 5, 7, 6, 5, 6, 18],
        ["Chasing late payments from clients again.", "We chase unpaid invoices every Friday."],
        ("1-10", "agency"),
    ),
    "cash-flow": (
        [6, 5, 6, 7, 6, 6, 5, 6, 7, 8, 10, 12, 14, 17],
        ["Worrying about cash flow before payroll.", "Cash flow is tight every month."],
        ("1-10", "consulting"),
    ),
    "manual-invoicing": (
        [14, 13, 15, 14, 13, 14, 15, 14, 12, 10, 8, 6, 4, 3],
        ["I still type invoices by hand.", "We type invoices by hand from the time sheets."],
        ("1-10", "agency"),
    ),
    "vat-returns": (
        [8, 9, 7, 8, 8, 9, 7, 8, 8, 9, 7, 8, 8, 9],
        ["Preparing the VAT return takes my whole Thursday.", "The VAT return eats a day."],
        ("1-10", "consulting"),
    ),
    "bank-feed": (
        [5, 4, 6, 5, 5, 4, 6, 5, 5, 4, 6, 5, 5, 4],
        ["Reconcile the bank feed line by line.", "We reconcile the bank feed by hand."],
        ("1-10", "agency"),
    ),
    "sso": (
        [1, 2, 1, 1, 2, 1, 1, 2, 1, 2, 4, 6, 8, 11],
        ["Procurement requires SSO for every tool.", "Single sign-on is a must for our IT team."],
        ("1000+", "manufacturing"),
    ),
    "security-review": (
        [2, 1, 2, 2, 1, 2, 2, 1, 2, 2, 1, 2, 2, 1],
        ["Filling in the security questionnaire again."],
        ("1000+", "manufacturing"),
    ),
    "new-theme": (
        [0] * 11 + [2, 5, 9],
        [
            "The mobile app crashes every time I upload a receipt.",
            "The mobile app crashes when I upload a receipt photo.",
            "Uploading a receipt crashes the mobile app.",
        ],
        ("1-10", "agency"),
    ),
}
WISHES = {
    "mobile-receipts": (
        [3, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3],
        ["Let me snap receipts with my phone.", "I want to snap receipts on the go."],
    ),
}
ONE_OFFS = [
    "Support took three days to answer my ticket.",
    "The CSV export drops the currency column.",
    "Onboarding new staff to the accounts is slow.",
    "Our printer driver broke after the update.",
    "Too many meetings about the quarterly budget.",
    "Finding an old contract in the shared drive.",
    "Hiring a junior designer has stalled.",
    "The office wifi keeps dropping during calls.",
    "Our website contact form gets spam.",
    "Planning holidays across the team is messy.",
    "Exchange rates confuse our Swiss customers.",
    "Client briefs arrive half finished.",
    "Backups of the design files are slow.",
    "The parking near the office is expensive.",
    "Tracking mileage for the sales trips.",
    "Renewing the domain names on time.",
    "Keeping the project board up to date.",
    "Ordering stationery for the new room.",
    "Newsletter signups dropped since spring.",
    "Calendar invites land in the wrong time zone.",
    "The coffee machine in the studio leaks.",
    "Our freelancers send timesheets late.",
    "Printing large posters costs a fortune.",
    "Translating the portfolio into French.",
    "Insurance renewal paperwork piles up.",
    "The laptop fleet needs replacing soon.",
    "Client feedback rounds never end.",
    "Moving the studio to a bigger floor.",
    "Password resets for the shared accounts.",
    "Writing proposals for public tenders.",
    "Managing the stock photo licences.",
    "Training the intern on our tools.",
    "Keeping up with design trends.",
    "Video calls freeze on the old router.",
    "Booking travel for the trade fair.",
    "Archiving finished projects properly.",
    "The team chat is far too noisy.",
    "Getting quotes from new suppliers.",
    "Cleaning up the customer mailing list.",
    "Setting up the new phone system.",
]
ONE_OFFS_PER_WEEK = 40


def write_survey(path: Path, weeks: int = WEEKS) -> int:
    """Write the export; returns the number of responses."""
    rows = []
    serial = 0
    for week in range(weeks):
        monday = FIRST_MONDAY + timedelta(weeks=week)
        answers: list[tuple[str, str, tuple[str, str]]] = []
        for counts, texts, segment in PAINS.values():
            answers += [("pain", texts[i % len(texts)], segment) for i in range(counts[week])]
        for counts, texts in WISHES.values():
            answers += [
                ("wish", texts[i % len(texts)], ("1-10", "agency")) for i in range(counts[week])
            ]
        for i in range(ONE_OFFS_PER_WEEK):
            text = ONE_OFFS[(week * ONE_OFFS_PER_WEEK + i) % len(ONE_OFFS)]
            answers.append(("pain", text, ("11-50", "retail")))
        for n, (kind, text, (size, industry)) in enumerate(answers):
            serial += 1
            moment = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=9 + (n * 97) % (24 * 5)
            )
            rows.append(
                [
                    f"r{serial:05d}",
                    text if kind == "pain" else "",
                    text if kind == "wish" else "",
                    size,
                    industry,
                    moment.strftime("%Y-%m-%d %H:%M:%S"),
                ]
            )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows)


def config_text(survey: Path, personas: Path, extra: str = "") -> str:
    """A service config reading the export, with the digest due on Mondays at 08:00 Berlin."""
    return f"""\
database: sqlite:///data/listener.db
data_dir: data
timezone: Europe/Berlin
personas: {personas}
sources:
  - name: pulse-survey
    type: survey_file
    every: 1h
    segment: {{channel: survey}}
    path: {survey}
    text_columns: ["{PAIN_QUESTION}", "{WISH_QUESTION}"]
    prompts: {{"{PAIN_QUESTION}": pain, "{WISH_QUESTION}": aspiration}}
    id_column: Response ID
    time_column: Submitted At
    segment_columns: {{Company size: company_size, Industry: industry}}
digest:
  schedule: "mon 08:00"
  recipients: [marketing@example.com]
  outbox: outbox
{extra}"""
