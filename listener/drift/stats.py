"""The tests behind every drift claim: exact, per source, and honest about thin data.

**The conditional test.** A cell's count in the tested weeks is compared with its count in the
baseline weeks, *per source*: if a source's rate did not change, then given ``n_s`` = its count in
both periods together, the share that falls in the tested period is Binomial(n_s, v_s), where
``v_s`` is the tested period's share of the source's volume (the classic exact test for two
Poisson rates). The cell's total over sources is then the sum of independent binomials, whose
exact distribution is the convolution of theirs. Testing per source matters: a survey wave can
carry most of a week's expectation while its own baseline holds two answers, and pooling would
then claim a precision the data do not have. The noise of the baseline count itself is in the
test, which is what keeps thin cells from alarming.

**Over-dispersion.** Weekly counts vary more than Poisson (a busy week is busy for everyone).
With dispersion factor ``phi`` (variance / mean) each source's binomial becomes the beta-binomial
that a negative binomial with that factor implies; ``phi = 1`` is the binomial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaln, gammaln, pdtrc

Array = NDArray[np.float64]
_POISSON = 1.0 + 1e-6


def source_sum_pmf(n: NDArray[np.int64], share: Array, phi: Array) -> Array:
    """Distribution of the tested period's total count, over sources, given each source's ``n``.

    ``n[s]``: the source's count in tested + baseline periods; ``share[s]``: the tested period's
    share of its volume; ``phi[s]``: its dispersion factor.
    """
    total = np.ones(1)
    for n_s, v_s, phi_s in zip(n, share, phi, strict=True):
        if n_s <= 0:
            continue
        support = np.arange(int(n_s) + 1, dtype=float)
        log_choose = gammaln(n_s + 1) - gammaln(support + 1) - gammaln(n_s - support + 1)
        if v_s >= 1.0 or v_s <= 0.0:
            pmf = np.zeros(int(n_s) + 1)
            pmf[-1 if v_s >= 1.0 else 0] = 1.0
        elif phi_s <= _POISSON:
            pmf = np.exp(log_choose + support * np.log(v_s) + (n_s - support) * np.log1p(-v_s))
        else:  # beta-binomial with the negative binomial's dispersion
            a, b = _beta(n_s, v_s, phi_s)
            pmf = np.exp(log_choose + betaln(support + a, n_s - support + b) - betaln(a, b))
        total = np.convolve(total, pmf)
    return np.asarray(total / total.sum(), dtype=float)


def _beta(n: float, share: float, phi: float) -> tuple[float, float]:
    """The beta-binomial's (a, b) for ``n`` counts split at ``share`` with dispersion ``phi``:
    what a negative binomial of that variance / mean implies."""
    concentration = n / (phi - 1.0)
    return max(share * concentration, 1e-9), max((1.0 - share) * concentration, 1e-9)


@dataclass(frozen=True)
class Tails:
    """Both one-sided exact p-values of an observed total."""

    p_up: float
    p_down: float


def conditional_test(
    observed: ArrayLike, baseline: ArrayLike, share: ArrayLike, phi: ArrayLike
) -> Tails:
    """Exact test of one cell: per-source counts in the tested and the baseline period."""
    x = np.asarray(observed, dtype=np.int64)
    n = x + np.asarray(baseline, dtype=np.int64)
    pmf = source_sum_pmf(n, np.asarray(share, dtype=float), np.asarray(phi, dtype=float))
    total = int(x.sum())
    return Tails(
        p_up=float(min(1.0, pmf[total:].sum())), p_down=float(min(1.0, pmf[: total + 1].sum()))
    )


@dataclass(frozen=True)
class Extremes:
    """What the tested period could hold given each source's total over both periods: at most
    ``most`` (a source with no volume in it holds none) and at least ``fewest``, and the exact
    probability of each, which is the smallest p-value a rise or a fall could have."""

    most: int
    fewest: int
    min_p_up: float
    min_p_down: float


def extremes(n: ArrayLike, share: ArrayLike, phi: ArrayLike) -> Extremes:
    """:class:`Extremes` of :func:`conditional_test`'s null distribution, in closed form: the
    total reaches its top only when every source holds all it can (and its bottom likewise), so
    each is a product over sources of one binomial or beta-binomial end."""
    most = fewest = 0
    log_up = log_down = 0.0
    for n_s, v_s, phi_s in zip(
        np.asarray(n, dtype=np.int64), np.asarray(share, float), np.asarray(phi, float), strict=True
    ):
        if n_s <= 0 or v_s <= 0.0:
            continue
        most += int(n_s)
        if v_s >= 1.0:
            fewest += int(n_s)
        elif phi_s <= _POISSON:
            log_up += n_s * np.log(v_s)
            log_down += n_s * np.log1p(-v_s)
        else:
            a, b = _beta(n_s, v_s, phi_s)
            log_up += betaln(n_s + a, b) - betaln(a, b)
            log_down += betaln(a, n_s + b) - betaln(a, b)
    return Extremes(most, fewest, float(np.exp(log_up)), float(np.exp(log_down)))


def benjamini_hochberg(p_values: ArrayLike) -> Array:
    """BH-adjusted q-values (monotone, capped at 1); NaN p-values stay NaN and are not counted."""
    p = np.asarray(p_values, dtype=float)
    q = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    m = int(valid.sum())
    if m == 0:
        return q
    pv = p[valid]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(ranked, 1.0)
    q[valid] = adjusted
    return q


def cusum(observed: Array, expected: Array, factor: float) -> tuple[Array, NDArray[np.int64]]:
    """Poisson CUSUM statistic at the last week, and where its current run began, per row.

    Weeks run along the last axis. Tuned to detect a change of the rate to ``factor`` times the
    expected one (above 1 for rises, below 1 for falls): S <- max(0, S + x ln(factor) - (factor
    - 1) e). The run starts at the week after S was last 0 (the weeks the evidence piled up in).
    """
    s = np.zeros(observed.shape[:-1])
    start = np.zeros(observed.shape[:-1], dtype=np.int64)
    log_factor = np.log(factor)
    for week in range(observed.shape[-1]):
        step = observed[..., week] * log_factor - (factor - 1.0) * expected[..., week]
        s = np.maximum(0.0, s + step)
        start = np.where(s <= 0, week + 1, start)
    return s, start


SCREEN_SIMULATIONS = 100
SCREEN_P = 0.05
"""Sequential Monte Carlo: a first small batch of draws, and the full count only when that batch
leaves the p-value within reach of significance (Besag & Clifford's idea: no decision changes,
since a p-value above SCREEN_P is far above any threshold, and most statistics are screened out)."""


def cusum_p_value(
    statistic: float,
    baseline: Array,
    reference_volume: Array,
    window: Array,
    window_volume: Array,
    factor: float,
    phi: Array,
    rng: np.random.Generator,
    simulations: int,
) -> float:
    """Monte Carlo p-value of one cell's CUSUM statistic, conditional on its totals per source.

    Like the exact test, it conditions on each source's count over baseline and monitored weeks
    together (which removes the unknown rate): under "nothing changed" those ``n_s`` counts fall
    into the baseline and the weeks in proportion to their volumes (a multinomial, or the
    Dirichlet-multinomial of dispersion ``phi[s]``). Each draw re-estimates the rate from its
    baseline and recomputes the CUSUM. ``window``/``window_volume`` are sources x weeks.
    """
    if statistic <= 0:
        return 1.0
    first = min(SCREEN_SIMULATIONS, simulations)
    hits = _cusum_hits(
        statistic, baseline, reference_volume, window, window_volume, factor, phi, rng, first
    )
    if (1 + hits) / (first + 1) > SCREEN_P or first == simulations:
        return float((1 + hits) / (first + 1))
    more = simulations - first
    hits += _cusum_hits(
        statistic, baseline, reference_volume, window, window_volume, factor, phi, rng, more
    )
    return float((1 + hits) / (simulations + 1))


def _cusum_hits(
    statistic: float,
    baseline: Array,
    reference_volume: Array,
    window: Array,
    window_volume: Array,
    factor: float,
    phi: Array,
    rng: np.random.Generator,
    simulations: int,
) -> int:
    """How many of ``simulations`` null draws reach the statistic (see cusum_p_value)."""
    sources, weeks = window_volume.shape
    drawn_base = np.zeros((simulations, sources))
    drawn = np.zeros((simulations, sources, weeks))
    for s in range(sources):
        n = round(float(baseline[s] + window[s].sum()))
        total = reference_volume[s] + window_volume[s].sum()
        if n <= 0 or total <= 0:
            continue
        shares = np.concatenate([[reference_volume[s]], window_volume[s]]) / total
        counts = _split(rng, n, shares, float(phi[s]), simulations)
        drawn_base[:, s], drawn[:, s, :] = counts[:, 0], counts[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(reference_volume > 0, drawn_base / reference_volume, 0.0)  # (N, S)
    expected = np.einsum("ns,sl->nl", rate, window_volume)
    simulated, _ = cusum(drawn.sum(axis=1), expected, factor)
    return int(np.count_nonzero(simulated >= statistic - 1e-9))


def _split(rng: np.random.Generator, n: int, shares: Array, phi: float, simulations: int) -> Array:
    """``simulations`` draws of ``n`` counts split over categories in proportion to ``shares``:
    a multinomial, or with ``phi`` > 1 the Dirichlet-multinomial of that dispersion, drawn as a
    chain of (beta-)binomial splits so that every step is vectorised over the draws."""
    out = np.zeros((simulations, shares.size))
    left = np.full(simulations, n, dtype=np.int64)
    rest = 1.0
    concentration = n / (phi - 1.0) if phi > _POISSON else None
    for j, share in enumerate(shares[:-1]):
        p = min(1.0, share / rest) if rest > 0 else 0.0
        if concentration is not None and 0.0 < p < 1.0:
            a = max(share * concentration, 1e-9)
            b = max((rest - share) * concentration, 1e-9)
            p_draw = rng.beta(a, b, simulations)
        else:
            p_draw = np.full(simulations, p)
        taken = rng.binomial(left, p_draw)
        out[:, j] = taken
        left -= taken
        rest -= share
    out[:, -1] = left
    return out


def detectable_ratio(
    expected: Array,
    baseline: NDArray[np.int64],
    share: Array,
    phi: Array,
    alpha: float,
    min_count: int,
    min_ratio: float,
) -> float | None:
    """The smallest rise (a multiple of the expected count) this cell could show on its own.

    The rise is spread over sources like the expectation; the answer is the smallest total that
    passes the minimum count and ratio and whose exact p-value is at most ``alpha``, divided by
    the expected total. None when nothing is expected.
    """
    total = float(expected.sum())
    if total <= 0:
        return None
    weights = expected / total

    def p_at(count: int) -> float:
        split = np.floor(weights * count).astype(np.int64)
        split[int(np.argmax(weights))] += count - int(split.sum())
        return conditional_test(split, baseline, share, phi).p_up

    low = max(min_count, int(np.ceil(min_ratio * total)))
    if p_at(low) <= alpha:
        return low / total
    high = low
    while p_at(high) > alpha:
        high *= 2
        if high > 100_000:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if p_at(middle) <= alpha else (middle, high)
    return high / total


def poisson_at_least(observed: Array, mean: Array) -> Array:
    """P(X >= observed) for X ~ Poisson(mean): ``scipy.stats.poisson.sf(observed - 1, mean)``,
    computed as that does (``pdtrc`` of the floor, 1 below the support) from scipy.special,
    which the drift imports anyway; scipy.stats alone took a second of every start."""
    below = np.floor(observed - 1)
    with np.errstate(invalid="ignore"):
        tail = pdtrc(np.maximum(below, 0.0), mean)
    return np.asarray(np.where(below < 0, 1.0, tail), dtype=float)


def outside_share_p(outside: int, n: int) -> float:
    """The exact one-sided binomial p-value of ``outside`` of ``n`` against one half: what
    ``scipy.stats.binomtest(outside, n, 0.5, alternative="greater").pvalue`` gives (its binomial
    survival function is the regularised incomplete beta), from scipy.special, which the drift
    imports anyway; scipy.stats alone took a second of every start."""
    return 1.0 if outside <= 0 else float(betainc(outside, n - outside + 1, 0.5))
