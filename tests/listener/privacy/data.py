"""Customer data full of personal details: a feed and a survey export, and a config to read them.

Every e-mail address, phone number and handle written here is listed in ``PERSONAL``: after a
run none of them may be found anywhere in the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from listener.store.models import Base
from tests.listener.helpers import REPO

ALICE = "alice_k"
"""Two posts, both with persona evidence."""
BOB = "bob.m@example.net (Bob M)"
"""One post; his handle is an e-mail address, as RSS <author> often is."""

EMAILS = [
    "alice.k@example.org",
    "bob.m@example.net",
    "carol@example.com",
    "dave.r@example.co.uk",
    "erin@example.org",
    "frank@example.com",
]
PHONES = ["+44 20 7946 0958", "(555) 123-4567", "030 1234 5678"]
HANDLES = [ALICE, "@carol_c"]
PERSONAL = [*EMAILS, *PHONES, *HANDLES]

FEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Money &amp; Admin</title>
    <link>https://forum.example.com/c/money</link>
    <item>
      <title>Clients who pay late</title>
      <link>https://forum.example.com/t/1</link>
      <guid isPermaLink="false">topic-1</guid>
      <dc:creator>{ALICE}</dc:creator>
      <pubDate>Tue, 13 Oct 2026 09:12:44 +0000</pubDate>
      <description>I spent a whole afternoon chasing late payments again. Mail me at
alice.k@example.org or call +44 20 7946 0958 if you have a fix.</description>
    </item>
    <item>
      <title>Invoices by hand</title>
      <link>https://forum.example.com/t/2</link>
      <guid isPermaLink="false">topic-2</guid>
      <dc:creator>{ALICE}</dc:creator>
      <pubDate>Wed, 14 Oct 2026 10:00:00 +0000</pubDate>
      <description>Chasing late payments eats my Friday, and @carol_c says the same.</description>
    </item>
    <item>
      <title>Re: carol@example.com asked about reminders</title>
      <link>https://forum.example.com/t/3?from=carol@example.com</link>
      <guid isPermaLink="false">topic-3</guid>
      <author>{BOB}</author>
      <pubDate>Thu, 15 Oct 2026 11:00:00 +0000</pubDate>
      <description>Cash flow is a constant worry for us; chasing late payments takes hours.
Reach me on (555) 123-4567.</description>
    </item>
  </channel>
</rss>
"""

SURVEY = (
    "Email,What is the hardest part of your week?,Company size,Contact,Submitted At\n"
    "dave.r@example.co.uk,Chasing late payments every Monday. Call 030 1234 5678.,1-10,"
    "dave.r@example.co.uk,2026-10-13 12:31:12\n"
    "erin@example.org,Doing the VAT return every quarter; write to erin@example.org,11-50,"
    "erin@example.org,2026-10-14 12:31:12\n"
    "frank@example.com,too,many,fields,here,frank@example.com\n"
)


def write_config(tmp_path: Path, database: str, extra: str = "") -> Path:
    """The config, the feed and the survey in ``tmp_path``; returns the config's path."""
    (tmp_path / "forum.xml").write_text(FEED)
    (tmp_path / "survey.csv").write_text(SURVEY)
    config = tmp_path / "listener.yaml"
    config.write_text(
        f"database: {database}\n"
        "data_dir: data\n"
        "timezone: UTC\n"
        f"personas: {REPO / 'config' / 'personas.example.yaml'}\n"
        "sources:\n"
        "  - {name: forum, type: feed, every: 30m, urls: [forum.xml]}\n"
        "  - name: survey\n"
        "    type: survey_file\n"
        "    every: 1h\n"
        "    path: survey.csv\n"
        "    id_column: Email\n"
        "    time_column: Submitted At\n"
        "    text_columns: ['What is the hardest part of your week?']\n"
        "    prompts: {'What is the hardest part of your week?': pain}\n"
        "    segment_columns: {Company size: company_size, Contact: contact}\n"
        "digest: {outbox: outbox, recipients: [marketing@corp.test]}\n" + extra
    )
    return config


def every_text(session: Session) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text, string and JSON value of every table."""
    found: list[tuple[str, str, str]] = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    found.append((table.name, column.name, _as_text(value)))
    return found


def _as_text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
