import pytest

from monitor.stats import mean_interval, safe_ratio, wilson_interval


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
