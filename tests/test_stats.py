import statistics

import pytest

from monitor.stats import (
    mean_interval,
    ratio_interval,
    safe_ratio,
    std_from_sums,
    wilson_interval,
)


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(50, 100)  # type: ignore[misc]
    assert low == pytest.approx(0.4038, abs=1e-4)
    assert high == pytest.approx(0.5962, abs=1e-4)


def test_wilson_interval_stays_inside_unit_range_at_extremes() -> None:
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    low, high = wilson_interval(10, 10)  # type: ignore[misc]
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-4)


def test_small_sample_interval_is_wide_enough_to_reach_55_percent() -> None:
    # 41 picks at 45%: the seed's "not evidence" case.
    _, high = wilson_interval(18, 40)  # type: ignore[misc]
    assert high > 0.55
    _, high = wilson_interval(300, 600)  # type: ignore[misc]
    assert high < 0.55


def test_empty_sample_has_no_interval_and_bad_counts_raise() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    assert safe_ratio(1, 0) is None
    assert mean_interval(4.0, 1.0, 1) is None
    assert mean_interval(4.0, 2.0, 100) == pytest.approx((3.608, 4.392), abs=1e-3)


def test_a_capped_cusum_needs_more_than_one_heavy_day() -> None:
    from monitor.stats import cusum, cusum_gaussian_mean

    h = 6.9
    assert cusum([20.0]) > h  # uncapped: one odd night is an alarm
    assert cusum([20.0], day_cap=h / 2) == h / 2
    assert cusum([20.0, 20.0], day_cap=h / 2) == h  # a drift that persists crosses
    assert cusum([20.0, -1.0, 20.0], day_cap=h / 2) == h - 1.0
    # The Gaussian form caps each day's log-likelihood ratio the same way.
    one_bad_day = [(300, 300 * 6.0)]
    assert cusum_gaussian_mean(one_bad_day, 4.4, 3.3, 5.06) > h
    assert cusum_gaussian_mean(one_bad_day, 4.4, 3.3, 5.06, day_cap=h / 2) == h / 2


def test_std_from_sums_is_the_sample_standard_deviation() -> None:
    values = [0.5, 1.5, 4.0, 2.25, 7.0]
    assert std_from_sums(len(values), sum(values), sum(v * v for v in values)) == \
        pytest.approx(statistics.stdev(values))
    assert std_from_sums(1, 3.0, 9.0) is None


def test_ratio_interval_widens_with_the_baselines_own_uncertainty() -> None:
    # A baseline known exactly: the mean's interval over the baseline.
    low, high = mean_interval(1.0, 0.8, 50) or (0.0, 0.0)
    assert ratio_interval(1.0, 0.8, 50, 2.0, 0.0, 400) == pytest.approx((low / 2, high / 2))
    exact = ratio_interval(1.0, 0.8, 50, 2.0, 0.0, 400)
    noisy = ratio_interval(1.0, 0.8, 50, 2.0, 1.6, 400)
    assert noisy[0] < exact[0] < 0.5 < exact[1] < noisy[1]
