"""Themes no persona covers: wordings of one problem grouped, and named in people's words.

A statement's theme is its content lemmas ("invoice late client"). Two wordings of one problem
share most of them in any order ("late invoice from client"), so themes are grouped by their
lemma sets: a theme joins the most frequent group whose leader shares at least half of the words
of both (Jaccard >= 0.5) and two words or more. A group is named by a real quote, never by its
lemmas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_JACCARD = 0.5
MIN_SHARED = 2
MAX_NAME_CHARS = 90


def tokens(theme: str) -> frozenset[str]:
    return frozenset(theme.split())


@dataclass(frozen=True)
class ThemeGroup:
    kind: str
    leader: str
    """The group's most frequent theme: its stable key."""
    themes: tuple[str, ...]

    @property
    def words(self) -> frozenset[str]:
        return tokens(self.leader)


def group_themes(counts: Mapping[tuple[str, str], int]) -> list[ThemeGroup]:
    """Group (kind, theme) → count into wordings of one problem, most frequent leader first."""
    groups: list[tuple[str, str, frozenset[str], list[str]]] = []
    for (kind, theme), _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        words = tokens(theme)
        if not words:
            continue
        for group_kind, _leader, leader_words, members in groups:
            if group_kind != kind:
                continue
            shared = len(words & leader_words)
            if words == leader_words or (
                shared >= MIN_SHARED and shared / len(words | leader_words) >= MIN_JACCARD
            ):
                members.append(theme)
                break
        else:
            groups.append((kind, theme, words, [theme]))
    return [ThemeGroup(kind, leader, tuple(members)) for kind, leader, _, members in groups]


def name_of(group: ThemeGroup, quotes: Iterable[str]) -> str:
    """The quote that best says what the group is about: most of its words, then shortest."""
    best: tuple[float, int, str] | None = None
    words = group.words
    for quote in quotes:
        text = " ".join(quote.split())
        lowered = text.lower()
        covered = sum(1 for w in words if w in lowered) / max(1, len(words))
        candidate = (-covered, len(text), text)
        if best is None or candidate < best:
            best = candidate
    if best is None:
        return group.leader
    return shorten(best[2])


def shorten(text: str, limit: int = MAX_NAME_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
