"""Segment drift: a persona's evidence coming mostly from people the persona does not describe.

A persona declares its segment (``company_size: "1-10"``, ``industry: [agency, consulting]``).
An author's evidence is *inside* when every declared tag their item carries has a declared value,
*outside* when one of them does not, and unknown when it carries none of the declared tags (a
forum post with no company size says nothing either way). Over the recent weeks, a cell drifts
when most of its known authors are outside: the exact binomial test of the outside share against
one half, under the same FDR control and minimum counts as every other finding.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from listener.drift.config import DriftConfig
from listener.drift.model import CellKey, Finding
from listener.drift.stats import benjamini_hochberg, outside_share_p

Declared = Mapping[str, str | Sequence[str]]


def inside(segment: Mapping[str, str], declared: Declared) -> bool | None:
    """True inside the persona's segment, False outside, None when the item cannot tell."""
    known = False
    for tag, wanted in declared.items():
        value = segment.get(tag)
        if value is None:
            continue
        known = True
        allowed = [wanted] if isinstance(wanted, str) else list(wanted)
        if str(value).strip().lower() not in {str(a).strip().lower() for a in allowed}:
            return False
    return True if known else None


@dataclass(frozen=True)
class SegmentCounts:
    """Distinct authors of one attribute cell per segment (canonical JSON) and week."""

    cell: CellKey
    declared: Declared
    by_segment_week: Mapping[tuple[str, str], int]


def segment_findings(
    cells: Sequence[SegmentCounts], weeks: Sequence[str], week: str, config: DriftConfig
) -> list[Finding]:
    """Segment-drift findings for ``week``, over the ``trend_weeks`` ending with it."""
    end = weeks.index(week)
    window = weeks[max(0, end - config.trend_weeks + 1) : end + 1]
    rows = []
    for counts in cells:
        if not counts.declared:
            continue
        outside_by: Counter[str] = Counter()
        n_in = n_out = 0
        for (segment_key, w), authors in counts.by_segment_week.items():
            if w not in window:
                continue
            segment = json.loads(segment_key)
            verdict = inside(segment, counts.declared)
            if verdict is None:
                continue
            if verdict:
                n_in += authors
            else:
                n_out += authors
                for tag in counts.declared:
                    if tag in segment:
                        outside_by[f"{tag}={segment[tag]}"] += authors
        n = n_in + n_out
        p = outside_share_p(n_out, n) if n else float("nan")
        rows.append((counts.cell, n_in, n_out, p, outside_by))
    q = benjamini_hochberg(np.array([r[3] for r in rows], dtype=float))
    found = []
    for (cell, n_in, n_out, p, outside_by), q_value in zip(rows, q, strict=True):
        n = n_in + n_out
        if (
            np.isnan(q_value)
            or n_out < config.segment_min_authors
            or n_out / n < config.segment_min_share
            or q_value > config.fdr
            or p > config.max_p
        ):
            continue
        top, top_count = outside_by.most_common(1)[0] if outside_by else (None, 0)
        found.append(
            Finding(
                kind="segment_drift",
                cell=CellKey(cell.persona, cell.attribute, cell.kind, top),
                week=week,
                window=(window[0], window[-1]),
                count=n_out,
                mentions=n_out,
                expected=n / 2,
                baseline=float(n_in),
                p_value=float(p),
                q_value=float(q_value),
                detail={"inside": n_in, "outside": n_out, "top_segment_authors": top_count},
            )
        )
    return found
