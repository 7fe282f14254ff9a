"""One masking rule for what is stored and what is quoted."""

from __future__ import annotations

import pytest

from listener.alerts import quotes
from listener.privacy.mask import mask, mask_data, mask_emails


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail jo.doe+x@mail.example.org now", "mail [e-mail] now"),
        ("call +44 20 7946 0958.", "call [phone]."),
        ("call (555) 123-4567 today", "call [phone] today"),
        ("ask @carol_c", "ask @[user]"),
        ("paid on 2026-11-23, late", "paid on 2026-11-23, late"),  # a date is not a phone
        ("3 invoices for 1.500 EUR", "3 invoices for 1.500 EUR"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask(text) == masked
    assert mask(masked) == masked  # idempotent: the markers match no pattern


def test_links_keep_their_digits() -> None:
    url = "https://news.example.com/item?id=41234567&by=jo@example.org"
    assert mask_emails(url) == "https://news.example.com/item?id=41234567&by=[e-mail]"


def test_json_values_and_the_quotes_use_the_same_rule() -> None:
    assert mask_data({"k": ["a@b.co", 3]}) == {"k": ["[e-mail]", 3]}
    assert quotes.mask is mask
    assert quotes.quote_text("write  to\n a@b.co") == "write to [e-mail]"
