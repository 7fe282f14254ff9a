"""What a source said, made fit to store: personal details masked, the author pseudonymised.

The one step between connectors and the store (the runner and the webhook receiver call it on
every batch): nothing a connector yields reaches the database without passing here.

- texts (title, text, segment values, the survey's names) are masked (``privacy.mask``); a link
  only has its e-mail addresses masked, since its digits are ids;
- the author becomes its keyed pseudonym; a survey answer's respondent (the response) too, so
  one respondent's answers still count as one voice (``store.items.speaker``);
- an id that holds an e-mail address (an export keyed by e-mail) becomes a keyed hash of
  itself: stable across fetches, so deduplication still works (numeric ids are left alone:
  most ids would look like phone numbers);
- quarantined excerpts are masked too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from connectors.base import RawItem, Rejected, SurveyRef
from listener.privacy.keys import Pseudonymiser
from listener.privacy.mask import EMAIL, mask, mask_emails
from listener.store.items import speaker

_label = lru_cache(maxsize=4096)(mask)
"""``mask`` of the names every item of a survey repeats (the survey, its questions, segment
tags and values): masked once, not once per answer."""


def scrub_item(item: RawItem, pseudonyms: Pseudonymiser) -> RawItem:
    survey = item.survey
    if survey is not None:
        survey = SurveyRef(
            survey=_label(survey.survey),
            question=_label(survey.question),
            question_id=_id(survey.question_id, pseudonyms),
            response_id=_id(survey.response_id, pseudonyms),
        )
    return replace(
        item,
        external_id=_id(item.external_id, pseudonyms),
        text=mask(item.text),
        title=None if item.title is None else mask(item.title),
        url=None if item.url is None else mask_emails(item.url),
        author=pseudonyms.pseudonym(speaker(item)),
        segment={_label(k): _label(v) for k, v in item.segment.items()},
        metadata={},  # not stored; dropped so nothing downstream can log it by mistake
        survey=survey,
    )


def scrub_items(items: Iterable[RawItem], pseudonyms: Pseudonymiser) -> tuple[RawItem, ...]:
    return tuple(scrub_item(item, pseudonyms) for item in items)


def scrub_rejects(rejected: Iterable[Rejected]) -> tuple[Rejected, ...]:
    return tuple(replace(r, excerpt=mask(r.excerpt), reason=mask(r.reason)) for r in rejected)


def _id(value: str, pseudonyms: Pseudonymiser) -> str:
    if "@" not in value or not EMAIL.search(value):  # an address has an "@": a quick test first
        return value
    return "id:" + (pseudonyms.keyed(value) or "")[:40]
