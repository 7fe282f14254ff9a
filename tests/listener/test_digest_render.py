"""The digest as marketers read it, against golden files (rss2email's feed → expected e-mail).

The Digest is built by hand (tests/listener/digest_sample.py), so these files change only when
the templates do; after an intended change, `python -m tests.listener.golden.regenerate` writes
them and the diff is reviewed. This test only reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from listener.digest.render import render_html, render_text
from tests.listener.digest_sample import sample_digest

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "render"), [("digest.txt", render_text), ("digest.html", render_html)]
)
def test_digest_matches_the_golden_file(name: str, render) -> None:  # type: ignore[no-untyped-def]
    assert render(sample_digest()) == (GOLDEN / name).read_text(encoding="utf-8")


def test_customer_text_is_escaped_and_the_html_is_mail_safe() -> None:
    html = render_html(sample_digest())
    assert "&lt;every&gt;" in html and "<every>" not in html
    assert not re.search(r"<(script|svg|style|link)\b", html, re.I)  # Gmail/Outlook drop them
    assert 'width="600"' in html and "max-width:600px" in html


def test_kinds_and_negative_personas_differ_by_words_not_only_colour() -> None:
    text, html = render_text(sample_digest()), render_html(sample_digest())
    assert "[pain] up:" in text and "[pain] down:" in text
    assert "NEGATIVE PERSONA (a warning sign, not demand)" in text
    assert ">PAIN<" in html and "▲" in html and "▼" in html and "⚠ Negative persona" in html


def test_a_week_without_data_says_so() -> None:
    from dataclasses import replace

    empty = replace(sample_digest(), voices=0, changes=[])
    assert "No data this week" in render_text(empty) and "No data this week" in render_html(empty)
    assert "fading" not in render_text(empty).lower()
