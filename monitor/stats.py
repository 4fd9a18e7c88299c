"""Interval estimates. Every rate the monitor reports carries one of these."""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion.

    Preferred over the normal approximation because it stays inside [0, 1] and
    keeps honest width at the small samples where alerts must not fire.
    """
    if n <= 0:
        return None
    if successes < 0 or successes > n:
        raise ValueError(f"successes={successes} outside 0..{n}")
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(mean: float | None, std: float | None, n: int, z: float = Z_95) -> (
    tuple[float, float] | None
):
    """Normal-approximation interval for a mean (MAE, signed error)."""
    if mean is None or std is None or n < 2:
        return None
    half = z * std / math.sqrt(n)
    return (mean - half, mean + half)


def safe_ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator
