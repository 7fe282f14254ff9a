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


@pytest.mark.parametrize(
    "text",
    [
        "no digits and no at sign",
        "call 0161 496 0000 or write to jo@example.org, cc @carol_c",
        "٠١٢٣٤٥٦٧٨٩ in Arabic-Indic digits",
        "a@b and @ alone and @x",
        "jo@example.org@handle_two",
        "(+44) 20-7946-0958",
        "",
    ],
)
def test_the_quick_tests_change_nothing(text: str) -> None:
    """``mask`` skips a pattern when the text cannot hold it (no "@", no digit): the same
    result as the three substitutions in turn."""
    from listener.privacy.mask import EMAIL, EMAIL_MARK, HANDLE, HANDLE_MARK, PHONE, PHONE_MARK

    full = HANDLE.sub(HANDLE_MARK, PHONE.sub(PHONE_MARK, EMAIL.sub(EMAIL_MARK, text)))
    assert mask(text) == full
