"""The exact tests behind drift claims, checked against scipy and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import betabinom, binom, binomtest

from listener.drift.stats import (
    benjamini_hochberg,
    conditional_test,
    cusum,
    cusum_p_value,
    detectable_ratio,
    extremes,
    outside_share_p,
    poisson_at_least,
    source_sum_pmf,
)


@pytest.mark.parametrize(("x", "b", "share"), [(15, 40, 1 / 9), (3, 0, 1 / 9), (0, 20, 0.2)])
def test_one_source_is_the_classic_two_poisson_rates_test(x: int, b: int, share: float) -> None:
    tails = conditional_test([x], [b], [share], [1.0])
    assert tails.p_up == pytest.approx(binom.sf(x - 1, x + b, share))
    assert tails.p_down == pytest.approx(binom.cdf(x, x + b, share))
    expected = binomtest(x, x + b, share, alternative="greater").pvalue if x + b else 1.0
    assert tails.p_up == pytest.approx(expected)


def test_extremes_are_the_ends_of_the_null_distribution() -> None:
    n, share, phi = np.array([4, 6]), np.array([0.3, 0.6]), np.array([1.0, 2.0])
    pmf = source_sum_pmf(n, share, phi)
    ends = extremes(n, share, phi)
    assert (ends.most, ends.fewest) == (10, 0)
    assert ends.min_p_up == pytest.approx(pmf[-1])
    assert ends.min_p_down == pytest.approx(pmf[0])


def test_a_source_without_volume_this_week_can_bring_nothing_to_it() -> None:
    # A survey between waves: its 3 baseline answers cannot move into the tested week.
    ends = extremes(np.array([5, 3]), np.array([0.2, 0.0]), np.ones(2))
    assert ends.most == 5
    assert ends.min_p_up == pytest.approx(0.2**5)
    assert ends.min_p_down == pytest.approx(0.8**5)


def test_sources_are_convolved_exactly() -> None:
    n, share = np.array([4, 6]), np.array([0.3, 0.6])
    pmf = source_sum_pmf(n, share, np.ones(2))
    brute = np.zeros(11)
    for a, b in itertools.product(range(5), range(7)):
        brute[a + b] += binom.pmf(a, 4, 0.3) * binom.pmf(b, 6, 0.6)
    assert np.allclose(pmf, brute)


def test_over_dispersion_uses_the_matching_beta_binomial_and_is_more_cautious() -> None:
    pmf = source_sum_pmf(np.array([30]), np.array([0.25]), np.array([2.5]))
    c = 30 / 1.5
    assert np.allclose(pmf, betabinom.pmf(np.arange(31), 30, 0.25 * c, 0.75 * c))
    poisson = conditional_test([15], [15], [0.25], [1.0]).p_up
    dispersed = conditional_test([15], [15], [0.25], [2.5]).p_up
    assert dispersed > 10 * poisson


def test_a_thin_cell_cannot_alarm_on_one_mention() -> None:
    # "1 this week, 0.1/week before": one mention in eight weeks, then one this week.
    assert conditional_test([1], [1], [1 / 9], [1.0]).p_up > 0.2


def test_benjamini_hochberg_matches_the_textbook_and_skips_nan() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005, np.nan, 0.5])
    assert np.allclose(q[[0, 1, 2, 3, 5]], [0.025, 0.05, 0.05, 0.025, 0.5])
    assert np.isnan(q[4])


def test_cusum_accumulates_a_sustained_excess_and_forgets_noise() -> None:
    expected = np.full((1, 6), 10.0)
    climbing = np.array([[10, 12, 14, 17, 19, 22]], dtype=float)
    statistic, start = cusum(climbing, expected, 1.75)
    assert statistic[0] > 5 and start[0] <= 2
    flat, _ = cusum(np.array([[9, 11, 10, 8, 12, 10]], dtype=float), expected, 1.75)
    assert flat[0] < 1.5


def test_cusum_p_value_is_small_for_a_real_climb_and_large_for_noise() -> None:
    rng = np.random.default_rng(1)
    volume = np.full((1, 6), 100.0)
    baseline, reference = np.array([80.0]), np.array([800.0])
    phi = np.ones(1)
    climb = np.array([[10, 12, 14, 17, 19, 22]], dtype=float)
    statistic, _ = cusum(climb, np.full((1, 6), 10.0), 1.75)
    p = cusum_p_value(float(statistic[0]), baseline, reference, climb, volume, 1.75, phi, rng, 2000)
    assert p < 0.01
    noise = np.array([[10, 11, 9, 12, 10, 11]], dtype=float)
    statistic, _ = cusum(noise, np.full((1, 6), 10.0), 1.75)
    assert (
        cusum_p_value(float(statistic[0]), baseline, reference, noise, volume, 1.75, phi, rng, 2000)
        > 0.2
    )


def test_detectable_ratio_falls_as_volume_grows() -> None:
    def ratio(per_week: float) -> float | None:
        return detectable_ratio(
            np.array([per_week]),
            np.array([round(per_week * 8)]),
            np.array([1 / 9]),
            np.ones(1),
            alpha=0.005,
            min_count=5,
            min_ratio=1.5,
        )

    thin, medium, busy = ratio(0.5), ratio(5.0), ratio(50.0)
    assert thin is not None and medium is not None and busy is not None
    assert thin > medium > busy >= 1.5
    assert thin >= 10  # 0.5 a week needs a big jump (and the minimum count) to show
    assert (
        detectable_ratio(
            np.zeros(1), np.zeros(1, dtype=np.int64), np.ones(1), np.ones(1), 0.005, 5, 1.5
        )
        is None
    )


def test_tails_without_scipy_stats_equal_its_answers() -> None:
    """The start-up-light tails (scipy.special) give scipy.stats' values: the same claims."""
    from scipy.stats import poisson

    observed = np.arange(0, 60, dtype=float)
    for mean in (0.3, 4.0, 19.8, 45.5):
        expected = poisson.sf(observed - 1, mean)
        np.testing.assert_allclose(
            poisson_at_least(observed, np.full_like(observed, mean)), expected
        )
    for n in (1, 7, 40, 313):
        for outside in range(n + 1):
            want = binomtest(outside, n, 0.5, alternative="greater").pvalue
            assert outside_share_p(outside, n) == pytest.approx(want, rel=1e-9, abs=1e-300)
