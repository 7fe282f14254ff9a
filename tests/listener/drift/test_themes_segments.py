"""Uncovered themes grouped and named in people's words; segment drift judged per persona."""

from __future__ import annotations

import json

from listener.drift.config import DriftConfig
from listener.drift.model import CellKey
from listener.drift.segments import SegmentCounts, inside, segment_findings
from listener.drift.themes import group_themes, name_of


def test_wordings_of_one_problem_are_one_theme_in_any_order() -> None:
    groups = group_themes(
        {
            ("pain", "invoice late client"): 5,
            ("pain", "late invoice client"): 3,  # "late invoice from client"
            ("pain", "mobile crash upload"): 4,
            ("pain", "upload receipt crash"): 2,
            ("pain", "vat return"): 6,
            ("aspiration", "invoice late client"): 1,  # a wish is never merged with a pain
        }
    )
    members = sorted(sorted(g.themes) for g in groups if g.kind == "pain")
    assert members == [
        ["invoice late client", "late invoice client"],
        ["mobile crash upload", "upload receipt crash"],
        ["vat return"],
    ]
    assert [g.kind for g in groups].count("aspiration") == 1


def test_a_theme_is_named_by_a_real_quote_never_by_lemmas() -> None:
    group = next(g for g in group_themes({("pain", "delay rend month"): 3}))
    quotes = [
        "Our month-end reports are delayed again and again because rendering takes hours.",
        "Rendering the month report is delayed.",
    ]
    assert name_of(group, quotes) == "Rendering the month report is delayed."
    assert len(name_of(group, ["word " * 60])) <= 91  # shortened at a word, with an ellipsis


def test_inside_outside_and_unknown_segments() -> None:
    declared = {"company_size": "1-10", "industry": ["agency", "consulting"]}
    assert inside({"company_size": "1-10", "industry": "Agency"}, declared) is True
    assert inside({"company_size": "11-50", "industry": "agency"}, declared) is False
    assert inside({"channel": "forum"}, declared) is None  # says nothing either way


def _counts(inside_n: int, outside_n: int, weeks: list[str]) -> SegmentCounts:
    ins = json.dumps({"company_size": "1-10"})
    out = json.dumps({"company_size": "11-50"})
    by: dict[tuple[str, str], int] = {}
    for week in weeks:
        by[(ins, week)] = inside_n
        by[(out, week)] = outside_n
    return SegmentCounts(CellKey("owner", "late-payments", "pain"), {"company_size": "1-10"}, by)


def test_evidence_mostly_from_outside_the_persona_is_segment_drift() -> None:
    weeks = [f"2026-W{n}" for n in range(40, 48)]
    config = DriftConfig()
    drifting = segment_findings([_counts(1, 6, weeks)], weeks, "2026-W47", config)
    assert len(drifting) == 1
    finding = drifting[0]
    assert finding.kind == "segment_drift" and finding.cell.segment == "company_size=11-50"
    assert finding.count == 24 and finding.detail["inside"] == 4  # four weeks pooled
    assert finding.q_value is not None and finding.q_value <= config.fdr
    assert segment_findings([_counts(5, 3, weeks)], weeks, "2026-W47", config) == []
