"""Segment values as the personas say them: ``segment_values`` maps a survey's wording to theirs.

Survey tools write "11-50 employees" or "Deutschland" where the personas say "11-50" or "DE".
A value map per segment tag translates them before the item is stored, so evidence groups by the
personas' words. Unmapped values pass through unchanged; matching ignores case and spacing.
"""

from __future__ import annotations

from collections.abc import Mapping

SegmentValues = dict[str, dict[str, str]]
"""Segment tag → {value as the survey writes it: value as the personas write it}."""


def _norm(value: str) -> str:
    return " ".join(value.replace("\u00a0", " ").split()).casefold()


class SegmentMapper:
    """Applies one source's ``segment_values`` (compiled once: lookups are per answer)."""

    def __init__(self, values: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._exact = {tag: dict(table) for tag, table in (values or {}).items()}
        self._loose = {
            tag: {_norm(k): v for k, v in table.items()} for tag, table in self._exact.items()
        }

    def __call__(self, tag: str, value: str) -> str:
        value = value.strip()
        table = self._exact.get(tag)
        if not table:
            return value
        if value in table:
            return table[value]
        return self._loose[tag].get(_norm(value), value)

    def tags(self) -> set[str]:
        return set(self._exact)


def check_segment_values(values: Mapping[str, Mapping[str, str]]) -> None:
    """Reject empty targets and values mapped twice (after normalising) with different targets."""
    for tag, table in values.items():
        seen: dict[str, tuple[str, str]] = {}
        for source, target in table.items():
            if not str(target).strip():
                raise ValueError(f"segment_values.{tag}: {source!r} maps to an empty value")
            key = _norm(source)
            if key in seen and seen[key][1] != target:
                raise ValueError(
                    f"segment_values.{tag}: {seen[key][0]!r} and {source!r} are the same value "
                    f"written differently but map to {seen[key][1]!r} and {target!r}"
                )
            seen[key] = (source, target)
