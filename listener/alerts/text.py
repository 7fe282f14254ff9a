"""Findings in plain sentences with their numbers: what alerts say and the digest prints.

"Chasing late payments: 34 mentions from 29 people, 2.8x the usual (10.4 expected), q < 0.01".
The usual is the cell's own rate over its baseline weeks applied to this week's volume, so a busy
week does not read as a rise. Every sentence names the people (distinct authors) it counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from listener.drift.model import CellKey, Finding
from listener.personas import PersonaSet
from listener.weeks import week_start


@dataclass(frozen=True)
class Labels:
    personas: PersonaSet
    theme_names: Mapping[str, str] = field(default_factory=dict)
    """Theme group leader → the quote that names it."""

    def cell(self, cell: CellKey) -> str:
        if cell.persona == "":
            return self.theme_names.get(cell.attribute or "", cell.attribute or "")
        persona = self.personas.get(cell.persona)
        if cell.attribute is None:
            if cell.kind is None:
                return persona.name
            return f"{persona.name}: all {_plural(cell.kind)}"
        for _, attribute in persona.attributes():
            if attribute.id == cell.attribute:
                if cell.segment and cell.segment.count("=") == 1:
                    tag, value = cell.segment.split("=")
                    return f"{attribute.label} ({tag.replace('_', ' ')} {value})"
                return attribute.label
        return cell.attribute

    def negative(self, cell: CellKey) -> bool:
        if cell.persona == "":
            return False
        return self.personas.get(cell.persona).negative

    def persona_name(self, cell: CellKey) -> str | None:
        return self.personas.get(cell.persona).name if cell.persona else None


def _plural(kind: str) -> str:
    return "aspirations" if kind == "aspiration" else "pains"


def q_text(q: float | None) -> str:
    if q is None:
        return ""
    return "q < 0.01" if q < 0.01 else f"q = {q:.2f}"


def ratio_text(f: Finding) -> str:
    return f"{f.ratio:.1f}×" if f.ratio is not None else "new"


def people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def weeks_span(f: Finding) -> str:
    first, last = f.window
    if first == last:
        return "this week"
    n = (week_start(last) - week_start(first)).days // 7 + 1
    return f"over the last {n} weeks"


def summary(f: Finding, labels: Labels, warn: bool = True) -> str:
    """The sentence a marketer reads (``warn``: say so when it is a negative persona growing)."""
    plain = f.kind == "segment_drift"  # its segment is the point of the sentence, named below
    label = labels.cell(replace(f.cell, segment=None) if plain else f.cell)
    mentions = f"{f.mentions} mention{'s' if f.mentions != 1 else ''} from {people(f.count)}"
    usual = f"the usual ({f.expected:.1f} expected)"
    q = q_text(f.q_value)
    if f.kind == "rising":
        text = f"{label}: {mentions} this week, {ratio_text(f)} {usual}, {q}"
    elif f.kind == "fading":
        text = f"{label}: {people(f.count)} this week, down to {ratio_text(f)} {usual}, {q}"
    elif f.kind == "trend_up":
        text = f"{label}: climbing {weeks_span(f)}: {mentions}, {ratio_text(f)} {usual}, {q}"
    elif f.kind == "trend_down":
        text = f"{label}: falling {weeks_span(f)}: {people(f.count)}, {ratio_text(f)} {usual}, {q}"
    elif f.kind == "stale_persona":
        if f.count == 0:
            text = f"{label}: no evidence {weeks_span(f)} ({f.expected:.1f} people expected), {q}"
        else:
            text = (
                f"{label}: evidence shrinking {weeks_span(f)}: {people(f.count)}, "
                f"{ratio_text(f)} {usual}, {q}"
            )
    elif f.kind == "emerging":
        before = "none before" if f.baseline == 0 else f"{f.expected:.1f} expected"
        kind = f.cell.kind or "statement"
        text = (
            f"New {kind} no persona covers: “{label}”: {people(f.count)} {weeks_span(f)} "
            f"({before}), {q}"
        )
    else:  # segment_drift
        outside = f.count
        total = outside + int(f.baseline)  # baseline holds the inside count for this kind
        persona = labels.persona_name(f.cell) or f.cell.persona
        where = f", mostly {f.cell.segment}" if f.cell.segment else ""
        text = (
            f"{label}: {outside} of {total} people {weeks_span(f)} are outside the segment of "
            f"{persona}{where}, {q}"
        )
    if warn and labels.negative(f.cell) and f.kind in ("rising", "trend_up"):
        text = f"Warning, negative persona {labels.persona_name(f.cell)}: {text}"
    return text


def headline(f: Finding, labels: Labels) -> str:
    """A few words for a subject line: "Late payments up 2.8x"."""
    label = labels.cell(f.cell)
    if len(label) > 48:
        label = label[:47].rstrip() + "…"
    if f.kind in ("rising", "trend_up"):
        return f"{label} up {ratio_text(f)}" if f.ratio is not None else f"{label} appearing"
    if f.kind in ("fading", "trend_down"):
        return f"{label} down to {ratio_text(f)}"
    if f.kind == "stale_persona":
        return f"{label} losing evidence"
    if f.kind == "emerging":
        return f"new theme: {label}"
    return f"{label} from outside its segment"
