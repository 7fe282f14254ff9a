"""The detector on constructed series: each shape of change, and each way data can mislead.

Counts are distinct authors per week; one series per cell and source. Weeks are 2026-W01 on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from listener.drift.config import DriftConfig
from listener.drift.detect import evaluate
from listener.drift.model import CellKey, Finding, WeekResult, Workspace

CONFIG = DriftConfig()


def _workspace(
    cells: dict[str, Sequence[Sequence[float]]],
    volume: Sequence[Sequence[float]],
    unhealthy: Sequence[Sequence[bool]] | None = None,
) -> Workspace:
    """``cells``: name → one weekly series per source; ``volume``: one series per source."""
    vol = np.array(volume, dtype=float)
    keys = [CellKey("p", name, "pain") for name in cells]
    counts = np.array([np.array(series, dtype=float) for series in cells.values()])
    return Workspace(
        weeks=[f"2026-W{w + 1:02d}" for w in range(vol.shape[1])],
        sources=[f"s{i}" for i in range(vol.shape[0])],
        cells=keys,
        volume=vol + counts.sum(axis=0),  # the cells' own authors are voices too
        authors=counts,
        mentions=counts.copy(),
        unhealthy=np.array(unhealthy, dtype=bool)
        if unhealthy is not None
        else np.zeros((0, 0), bool),
    )


def _alerts(results: list[WeekResult], name: str = "a") -> list[Finding]:
    return [f for r in results for f in r.alerts if f.cell.attribute == name]


def _steady(level: float, weeks: int, rng: np.random.Generator) -> list[float]:
    return list(rng.poisson(level, weeks).astype(float))


def test_a_spike_is_rising_with_its_numbers() -> None:
    rng = np.random.default_rng(3)
    series = [*_steady(10, 12, rng), 30.0]
    results = evaluate(_workspace({"a": [series]}, [[400] * 13]), CONFIG)
    alerts = _alerts(results)
    assert [(f.kind, f.week) for f in alerts] == [("rising", "2026-W13")]
    spike = alerts[0]
    assert spike.count == 30 and spike.mentions == 30
    assert 8 < spike.expected < 12 and spike.ratio is not None and spike.ratio > 2.4
    assert spike.p_value < 1e-4 and spike.q_value is not None and spike.q_value < 0.01
    assert spike.window == ("2026-W13", "2026-W13") and spike.episode == "2026-W13"


def test_a_slow_climb_is_found_within_four_weeks_of_onset() -> None:
    rng = np.random.default_rng(4)
    before = _steady(12, 12, rng)
    climb = [float(rng.poisson(12 * 1.2 ** (k + 1))) for k in range(6)]
    results = evaluate(_workspace({"a": [before + climb]}, [[400] * 18]), CONFIG)
    ups = [f for f in _alerts(results) if f.direction == "up"]
    assert ups and ups[0].kind in ("trend_up", "rising")
    assert 0 <= int(ups[0].week[-2:]) - 13 <= 4  # onset: week 13


def test_a_gradual_fade_is_found() -> None:
    rng = np.random.default_rng(5)
    before = _steady(20, 12, rng)
    fade = [float(rng.poisson(20 * 0.8 ** (k + 1))) for k in range(6)]
    alerts = _alerts(evaluate(_workspace({"a": [before + fade]}, [[400] * 18]), CONFIG))
    assert alerts and alerts[0].kind in ("trend_down", "fading")
    assert alerts[0].direction == "down"


@pytest.mark.slow
def test_noise_alone_rarely_alerts() -> None:
    """Steady Poisson counts in 10 cells over 30 workspaces: under 1 false alert per 100
    cell-weeks (the product's target), across rates from 1 to 30 a week."""
    alerts = cell_weeks = 0
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        rates = np.geomspace(1, 30, 10)
        cells = {f"c{i}": [_steady(rate, 20, rng)] for i, rate in enumerate(rates)}
        results = evaluate(_workspace(cells, [[500] * 20]), CONFIG)
        alerts += sum(len(r.alerts) for r in results if r.week >= "2026-W09")
        cell_weeks += 10 * sum(1 for r in results if r.week >= "2026-W09")
    assert alerts / cell_weeks < 0.01, f"{alerts} alerts in {cell_weeks} cell-weeks"


def test_low_counts_never_alert_and_say_how_much_they_could_show() -> None:
    series = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 2]  # 0.3 a week, then 2: "7x" on paper
    results = evaluate(_workspace({"a": [series]}, [[300] * 12]), CONFIG)
    assert not _alerts(results)
    cell = results[-1].cells[CellKey("p", "a", "pain")]
    assert cell.authors == 2 and cell.expected < 1
    assert cell.detectable_ratio is not None and cell.detectable_ratio > 5


def test_a_change_no_count_could_show_spends_none_of_the_fdr_budget() -> None:
    """Only directions some outcome could claim are members of the Benjamini–Hochberg family:
    a line expecting under ``fade_min_expected`` cannot fade whatever it counts, and a line with
    under ``rise_min_count`` authors in all its weeks together cannot rise."""
    thin = {f"t{i}": [[1, 0, 1, 2, 1, 0, 1, 1, 0, 1, 2, 1, 1]] for i in range(8)}
    silent = {"s": [[0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]]}
    spike = [[19, 21, 20, 22, 18, 20, 21, 19, 20, 22, 18, 20, 40]]
    results = evaluate(_workspace({"a": spike, **thin, **silent}, [[400] * 13]), CONFIG)
    found = [f for f in results[-1].findings if f.cell.attribute == "a"]
    assert [f.kind for f in found] == ["rising"]
    # Members: the rises of "a" and the 8 thin lines, and the fall of "a" alone; the others'
    # p-values are large, so the rise's q-value is its p-value times 10 (not 2 x 10 lines).
    assert found[0].q_value == pytest.approx(found[0].p_value * 10)


def test_an_outage_week_is_degraded_and_no_fall_is_claimed() -> None:
    rng = np.random.default_rng(6)
    forum_volume = [400.0] * 12 + [20.0]  # the forum (two thirds of the voices) was down
    feed_volume = [200.0] * 13
    forum = [*_steady(20, 12, rng), 1.0]
    feed = [*_steady(10, 12, rng), 10.0]
    results = evaluate(_workspace({"a": [forum, feed]}, [forum_volume, feed_volume]), CONFIG)
    last = results[-1]
    assert "s0" in last.degraded and "under half" in last.degraded["s0"]
    assert not [f for f in last.findings if f.direction == "down" and not f.withheld]
    cell = last.cells[CellKey("p", "a", "pain")]
    assert cell.degraded_sources == ("s0",)


def test_health_history_marks_a_failing_source_degraded() -> None:
    rng = np.random.default_rng(7)
    unhealthy = [[False] * 11 + [True], [False] * 12]
    series = [_steady(15, 12, rng), _steady(5, 12, rng)]
    results = evaluate(_workspace({"a": series}, [[300] * 12, [100] * 12], unhealthy), CONFIG)
    assert "failing or paused" in results[-1].degraded["s0"]


def test_a_source_that_started_late_is_not_a_rise_from_zero() -> None:
    rng = np.random.default_rng(8)
    old = _steady(10, 14, rng)
    new = [0.0] * 10 + _steady(15, 4, rng)  # a new forum source from week 11
    volume = [[400] * 14, [0] * 10 + [300] * 4]
    results = evaluate(_workspace({"a": [old, new]}, volume), CONFIG, report_from=0)
    assert not [f for f in _alerts(results) if f.direction == "up"]  # total went 10 -> 25
    cell = CellKey("p", "a", "pain")
    first = next(r for r in results if r.week == "2026-W11").cells[cell]
    assert first.expected < 15  # no baseline for the new source yet: only the old one counts
    last = results[-1].cells[cell]
    assert last.expected > 18  # with three weeks behind it, the new source is expected too


def test_a_second_spike_is_not_hidden_by_the_first() -> None:
    rng = np.random.default_rng(9)
    series = [*_steady(8, 10, rng), 30.0, *_steady(8, 4, rng), 30.0]
    alerts = _alerts(evaluate(_workspace({"a": [series]}, [[400] * 16]), CONFIG))
    assert [f.week for f in alerts] == ["2026-W11", "2026-W16"]  # two episodes


def test_a_level_shift_is_one_episode_then_the_new_normal() -> None:
    rng = np.random.default_rng(10)
    series = _steady(8, 10, rng) + _steady(20, 10, rng)
    results = evaluate(_workspace({"a": [series]}, [[400] * 20]), CONFIG)
    alerts = _alerts(results)
    assert len(alerts) == 1 and alerts[0].direction == "up"
    last = results[-1].cells[CellKey("p", "a", "pain")]
    assert 14 < last.expected < 26  # learnt: the baseline moved up with the level


def test_thin_attributes_are_tested_rolled_up_to_their_persona() -> None:
    """Three attributes at ~1 a week each cannot show a rise alone; all rising together, the
    persona's roll-up does."""
    rng = np.random.default_rng(11)
    names = ["x", "y", "z"]
    rows = {n: [[*_steady(1, 12, rng), 4.0]] for n in names}
    ws = _workspace(rows, [[400] * 13])
    rollup = CellKey("p", None, "pain")
    ws.cells.append(rollup)
    ws.authors = np.concatenate([ws.authors, ws.authors.sum(axis=0, keepdims=True)])
    ws.mentions = ws.authors.copy()
    results = evaluate(ws, CONFIG)
    assert not any(_alerts(results, n) for n in names)
    assert [f.kind for r in results for f in r.alerts if f.cell == rollup] == ["rising"]


def test_weeks_around_a_found_change_are_not_counted_as_noise() -> None:
    """A level shift found in one line must not make every other line's test timid."""
    from listener.drift.week import WeekTests

    rng = np.random.default_rng(11)
    weeks = 20
    cells = {f"c{i}": [_steady(20, weeks, rng)] for i in range(6)}
    shifted = [*_steady(20, 10, rng), *_steady(60, 10, rng)]
    cells["shift"] = [shifted]
    ws = _workspace(cells, [[2000] * weeks])
    trusted = np.ones((1, weeks), dtype=bool)
    none = np.zeros((len(cells), weeks), dtype=bool)
    changed = none.copy()
    changed[list(cells).index("shift"), 10] = True
    args = (ws, CONFIG, weeks - 1, trusted, ~trusted, none, np.random.default_rng(0))
    blind = WeekTests(*args).inv_k
    told = WeekTests(*args, changed).inv_k
    assert blind > 0.02  # the shift's residuals, read as noise (Poisson here: 0)
    assert told < blind / 4, (told, blind)
