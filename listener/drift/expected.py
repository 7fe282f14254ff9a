"""Expected counts that respect volume and outages: each source's own rate times its volume.

A cell's expected count in a week is the sum over sources of (the source's rate for the cell over
the baseline weeks) × (the source's volume that week). So a forum outage lowers the expectation of
exactly the cells the forum feeds, and a survey wave raises it. Source-weeks before a source's
first voice do not exist (they are not zeros); degraded source-weeks (an outage, a pause, a volume
under half the source's median) are left out of every baseline, and a source needs a few usable
baseline weeks before its counts are tested at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listener.drift.model import BoolArray, FloatArray, Workspace
from listener.drift.stats import poisson_at_least


def degraded_source_weeks(
    workspace: Workspace, window: int, volume_share: float
) -> list[list[str | None]]:
    """Per source and week, why the week's volume cannot be trusted (None when it can)."""
    volume, unhealthy = workspace.volume, workspace.unhealthy
    reasons: list[list[str | None]] = []
    for s, name in enumerate(workspace.sources):
        row: list[str | None] = []
        started = False
        for w in range(len(workspace.weeks)):
            started = started or volume[s, w] > 0
            if not started:
                row.append(None)
                continue
            if unhealthy[s, w]:
                row.append(f"{name} was failing or paused")
                continue
            lo = max(0, w - window)
            history = volume[s, lo:w][~unhealthy[s, lo:w]]
            history = history[history > 0] if np.any(history > 0) else history
            median = float(np.median(history)) if history.size else 0.0
            if median > 0 and volume[s, w] < volume_share * median:
                row.append(
                    f"{name} had {int(volume[s, w])} voices, under half its usual {median:g}"
                )
            else:
                row.append(None)
        reasons.append(row)
    return reasons


def existing(workspace: Workspace) -> BoolArray:
    """True from each source's first week with any voice onwards."""
    return np.maximum.accumulate(workspace.volume > 0, axis=1)


@dataclass(frozen=True)
class Fit:
    """Baseline rates of every cell per source, and what they predict for a run of test weeks.

    Shapes: ``C`` cells, ``S`` sources, ``L`` test weeks. Sources a cell cannot use (too few
    usable baseline weeks) hold zeros everywhere.
    """

    usable: BoolArray  # (C, S)
    baseline: FloatArray  # (C, S) authors in the baseline weeks
    reference_volume: FloatArray  # (C, S) voices in the baseline weeks
    weeks_used: FloatArray  # (C, S) usable baseline weeks
    observed: FloatArray  # (C, S, L) authors
    expected: FloatArray  # (C, S, L)
    window_volume: FloatArray  # (C, S, L) voices
    mentions: FloatArray  # (C, L) evidence rows, usable sources
    volume_square_ratio: FloatArray  # (C, S) sum(v^2) / sum(v) over baseline and test weeks
    left_out: FloatArray  # (C, S) share of the cell's usual count in test weeks left out

    @property
    def observed_total(self) -> FloatArray:
        return np.asarray(self.observed.sum(axis=(1, 2)), dtype=float)

    @property
    def expected_total(self) -> FloatArray:
        return np.asarray(self.expected.sum(axis=(1, 2)), dtype=float)

    @property
    def baseline_total(self) -> FloatArray:
        return np.asarray(self.baseline.sum(axis=1), dtype=float)

    @property
    def share(self) -> FloatArray:
        """(C, S) the test weeks' share of each source's volume, test + baseline."""
        window = self.window_volume.sum(axis=2)
        total = window + self.reference_volume
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(total > 0, window / total, 0.0), dtype=float)

    @property
    def weekly_mean(self) -> FloatArray:
        """(C, S) the cell's usual authors per week from each source."""
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(self.weeks_used > 0, self.baseline / self.weeks_used, 0.0)
        return np.asarray(mean, dtype=float)

    @property
    def typical_share(self) -> FloatArray:
        """(C, S) the share of the cell's usual count that each source brings."""
        mean = self.weekly_mean
        total = mean.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, mean / total, 0.0)
        return np.asarray(share, dtype=float)

    def phi(self, inv_k: float) -> FloatArray:
        """(C, S) dispersion factor (variance / mean) of each source's counts in these weeks.

        With negative-binomial weeks of means mu_w = rate * v_w, a sum's variance / mean is
        1 + (sum mu_w^2 / sum mu_w) / k = 1 + rate * (sum v_w^2 / sum v_w) / k: a survey wave
        week weighs in with its own size. The rate is the baseline's.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(self.reference_volume > 0, self.baseline / self.reference_volume, 0.0)
        return np.asarray(1.0 + inv_k * rate * self.volume_square_ratio, dtype=float)

    def null_phi(self, inv_k: float) -> FloatArray:
        """(C, S) :meth:`phi` at the rate of baseline and tested weeks pooled: what "nothing
        changed" implies given the totals alone, however they split between the periods."""
        volume = self.reference_volume + self.window_volume.sum(axis=2)
        counts = self.baseline + self.observed.sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(volume > 0, counts / volume, 0.0)
        return np.asarray(1.0 + inv_k * rate * self.volume_square_ratio, dtype=float)


def fit(
    workspace: Workspace,
    reference: range,
    test: range,
    excluded: BoolArray,
    trusted: BoolArray,
    min_weeks: int,
) -> Fit:
    """Rates from the ``reference`` weeks, applied to the ``test`` weeks.

    ``excluded[c, w]`` leaves a cell's week out of its baseline and tested weeks (an isolated
    spike, reported on its own);
    ``trusted[s, w]`` is False for source-weeks that do not exist or are degraded.

    A cell's rate is per voice *of the others* (the source's voices minus the cell's own
    authors): a surge of complaints about one thing adds voices, and must not raise its own
    expectation, which would hide a good part of the surge.
    """
    ref = np.array(list(reference), dtype=int)
    tst = np.array(list(test), dtype=int)
    authors = workspace.authors
    volume = others_volume(workspace)  # (C, S, W)
    mask = trusted[None, :, ref] & ~excluded[:, None, ref]  # (C, S, R)
    mask &= ~_outlying_weeks(authors[:, :, ref], volume[:, :, ref], mask)[:, None, :]
    weeks_used = mask.sum(axis=2).astype(float)
    usable = weeks_used >= min_weeks
    base_authors = np.where(mask, authors[:, :, ref], 0.0).sum(axis=2)
    base_volume = np.where(mask, volume[:, :, ref], 0.0).sum(axis=2)
    usable &= base_volume > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(usable, base_authors / base_volume, 0.0)
    # Degraded source-weeks are left out of the tested weeks too: a source that was down can
    # neither make a fall nor hide a rise; what it would usually have brought is recorded.
    # So are a cell's isolated spikes: a spike already reported is no evidence of a trend.
    use = usable[:, :, None] & trusted[None, :, tst] & ~excluded[:, None, tst]
    window_volume = np.where(use, volume[:, :, tst], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        typical = np.where(usable, base_authors / np.maximum(weeks_used, 1.0), 0.0)
    missing = (usable[:, :, None] & ~trusted[None, :, tst]).sum(axis=2)  # (C, S) weeks
    usual = typical.sum(axis=1, keepdims=True) * max(1, tst.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        left_out = np.where(usual > 0, typical * missing / usual, 0.0)
    expected = rate[:, :, None] * window_volume
    v_ref = np.where(mask & usable[:, :, None], volume[:, :, ref], 0.0)
    sum_v = v_ref.sum(axis=2) + window_volume.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        volume_square_ratio = np.where(
            sum_v > 0, ((v_ref**2).sum(axis=2) + (window_volume**2).sum(axis=2)) / sum_v, 0.0
        )
    return Fit(
        usable=usable,
        baseline=np.where(usable, base_authors, 0.0),
        reference_volume=np.where(usable, base_volume, 0.0),
        weeks_used=np.where(usable, weeks_used, 0.0),
        observed=np.where(use, authors[:, :, tst], 0.0),
        expected=expected,
        window_volume=window_volume,
        mentions=np.where(use, workspace.mentions[:, :, tst], 0.0).sum(axis=1),
        volume_square_ratio=volume_square_ratio,
        left_out=left_out,
    )


OUTLIER_P = 0.001
"""A baseline week this improbable given the cell's other baseline weeks (and at least twice
their level) is a spike the detector missed: it would inflate the expectation for weeks to come."""


def others_volume(workspace: Workspace) -> FloatArray:
    """(C, S, W) each source's voices minus the cell's own authors."""
    return np.maximum(workspace.volume[None, :, :] - workspace.authors, 0.0)


def _outlying_weeks(authors: FloatArray, volume: FloatArray, mask: BoolArray) -> BoolArray:
    """(C, R) baseline weeks far above what the cell's other baseline weeks predict."""
    used_authors = np.where(mask, authors, 0.0)  # (C, S, R)
    used_volume = np.where(mask, volume, 0.0)
    total_authors = used_authors.sum(axis=2, keepdims=True)
    total_volume = used_volume.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_without = np.where(
            total_volume - used_volume > 0,
            (total_authors - used_authors) / (total_volume - used_volume),
            0.0,
        )
    expected = (rate_without * used_volume).sum(axis=1)  # (C, R), leave-one-week-out
    observed = used_authors.sum(axis=1)
    improbable = poisson_at_least(observed, np.maximum(expected, 1e-9)) < OUTLIER_P
    return np.asarray(improbable & (observed >= 2 * expected) & (observed >= 3), dtype=bool)


LOCAL_WEEKS = 4
"""Dispersion residuals are taken against the rate of the weeks around each week (this many on
either side), so that slow real changes are not mistaken for noise."""


def inverse_shape(
    workspace: Workspace, history: range, trusted: BoolArray, excluded: BoolArray
) -> float:
    """Negative-binomial over-dispersion 1/k of the weekly counts (0 means Poisson).

    For each cell, source and trusted week of ``history``, the residual against the rate of the
    neighbouring weeks (leave-one-out) gives E[(x - mu)^2 / (1 + 1/n) - x] = mu^2 / k; each cell's
    moment estimate is then combined by a median over cells weighted by sum(mu^2), so that the
    cells that really change (or spike) do not inflate everyone's dispersion and hide themselves.
    """
    weeks = np.array(list(history), dtype=int)
    if weeks.size < 3:
        return 0.0
    keep = trusted[None, :, weeks] & ~excluded[:, None, weeks]  # spikes are not noise
    x = np.where(keep, workspace.authors[:, :, weeks], 0.0)  # (C, S, H)
    v = np.where(keep, others_volume(workspace)[:, :, weeks], 0.0)
    cx = np.concatenate([np.zeros((*x.shape[:2], 1)), np.cumsum(x, axis=2)], axis=2)
    cv = np.concatenate([np.zeros((*v.shape[:2], 1)), np.cumsum(v, axis=2)], axis=2)
    cn = np.concatenate([np.zeros((*x.shape[:2], 1)), np.cumsum(keep, axis=2)], axis=2)
    cv2 = np.concatenate([np.zeros((*v.shape[:2], 1)), np.cumsum(v**2, axis=2)], axis=2)
    h = np.arange(weeks.size)
    lo, hi = np.maximum(0, h - LOCAL_WEEKS), np.minimum(weeks.size, h + LOCAL_WEEKS + 1)
    around_x = cx[:, :, hi] - cx[:, :, lo] - x
    around_v = cv[:, :, hi] - cv[:, :, lo] - v
    around_n = cn[:, :, hi] - cn[:, :, lo] - keep
    around_v2 = cv2[:, :, hi] - cv2[:, :, lo] - v**2
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.where(around_v > 0, around_x / around_v, 0.0) * v
        own = np.where(around_v > 0, v / around_v, 0.0)  # the week's volume over its neighbours'
        spread = np.where(around_v > 0, around_v2 / around_v**2, 0.0)
    use = keep & (around_n >= 2) & (mu > 0)
    # E[(x - mu)^2] = mu + mu^2/k + mu*own + (mu^2/k) * spread: the neighbours' rate is noisy too.
    numerator = np.where(use, (x - mu) ** 2 - x - mu * own, 0.0).sum(axis=(1, 2))
    denominator = np.where(use, mu**2 * (1.0 + spread), 0.0).sum(axis=(1, 2))
    informative = denominator > 0
    if not informative.any():
        return 0.0
    estimates = numerator[informative] / denominator[informative]
    weights = denominator[informative]
    order = np.argsort(estimates)
    cumulative = np.cumsum(weights[order])
    median = estimates[order][np.searchsorted(cumulative, cumulative[-1] / 2)]
    return float(np.clip(median, 0.0, 1.0))
