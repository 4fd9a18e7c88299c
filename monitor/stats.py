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


def std_from_sums(n: int, total: float, total_sq: float) -> float | None:
    """Sample standard deviation (n - 1) of n values from their sum and sum of squares,
    as a query returns them; None under two values."""
    if n < 2:
        return None
    return math.sqrt(max((total_sq - total * total / n) / (n - 1), 0.0))


def ratio_interval(mean: float, std: float, n: int, base_mean: float, base_std: float,
                   base_n: int, z: float = Z_95) -> tuple[float, float]:
    """Normal-approximation (delta method) interval for the ratio of two independent
    means, mean / base_mean: var ≈ (var(mean) + ratio² var(base_mean)) / base_mean²."""
    ratio = mean / base_mean
    half = z * math.sqrt(std * std / n + ratio * ratio * base_std * base_std / base_n) \
        / base_mean
    return (ratio - half, ratio + half)


def safe_ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def cusum_threshold(false_alarm_rate: float) -> float:
    """Decision threshold h = ln(1/alpha) on the log-likelihood-ratio CUSUM.

    By Wald's inequality, in-control data push a likelihood ratio above 1/alpha
    with probability at most alpha per run started, so alpha is the false-alarm
    rate per monitored (system, commit) run."""
    if not 0 < false_alarm_rate < 1:
        raise ValueError("false_alarm_rate must be in (0, 1)")
    return math.log(1.0 / false_alarm_rate)


def cusum_gaussian_mean(days: list[tuple[int, float]], mu0: float, sigma: float,
                        mu1: float, day_cap: float | None = None) -> float:
    """CUSUM statistic for a shift of the mean from mu0 to mu1 (sigma known).

    `days` holds (n, sum of the values) per day in time order; the per-day
    log-likelihood ratio is (mu1 - mu0) / sigma^2 * (sum - n (mu0 + mu1) / 2)."""
    if sigma <= 0:
        raise ValueError("sigma must be positive")
    scale = (mu1 - mu0) / (sigma * sigma)
    return cusum([scale * (total - n * (mu0 + mu1) / 2) for n, total in days], day_cap)


def bernoulli_llr(trials: int, successes: int, p0: float, p1: float) -> float:
    """Log-likelihood ratio of p1 against p0 for `successes` out of `trials`."""
    if not (0 < p0 < 1 and 0 < p1 < 1):
        raise ValueError("rates must be in (0, 1)")
    return successes * math.log(p1 / p0) + (trials - successes) * math.log((1 - p1) / (1 - p0))


def cusum(llrs: list[float], day_cap: float | None = None) -> float:
    """Page's CUSUM over per-period log-likelihood ratios: S = max(0, S + llr).

    With `day_cap`, no single period adds more than the cap (a winsorised CUSUM):
    game days are not independent draws of rows — one night of odd slates moves every
    prediction at once — so one heavy night alone must not cross the threshold; a
    real drift persists and crosses it a day later."""
    s = 0.0
    for llr in llrs:
        s = max(0.0, s + (llr if day_cap is None else min(llr, day_cap)))
    return s


def lost_edge(p0: float, edge_loss: float) -> float:
    """The alternative hit rate of a model that lost `edge_loss` of its edge over a
    coin flip: 0.5 + (1 - edge_loss) (p0 - 0.5)."""
    return 0.5 + (1 - edge_loss) * (p0 - 0.5)


# A bin empty on one side would make the index infinite; this floor (a common choice)
# keeps one stray row from dominating it.
PSI_FLOOR = 1e-4


Z_99_ONE_SIDED = 2.3263  # the standard normal's 99th percentile


def psi_chance_level(expected: list[int], actual: list[int], z: float = Z_99_ONE_SIDED) -> float:
    """The population stability index two samples of these sizes stay under, when
    nothing changed, 99 times in 100: the index is about a chi-square with k - 1
    degrees of freedom (k the bins holding rows) scaled by 1/n_expected + 1/n_actual;
    its quantile by Wilson-Hilferty. Two clean samples of 200 players over deciles
    average 0.09 and reach 0.2 one time in a hundred, so 0.1 alone is no shift there."""
    n_expected, n_actual = sum(expected), sum(actual)
    df = sum(1 for e, a in zip(expected, actual, strict=True) if e or a) - 1
    if n_expected == 0 or n_actual == 0 or df < 1:
        return 0.0
    h = 2 / (9 * df)
    quantile = df * (1 - h + z * math.sqrt(h)) ** 3
    return quantile * (1 / n_expected + 1 / n_actual)


def population_stability(expected: list[int], actual: list[int]) -> float | None:
    """Population stability index of `actual` against `expected`, bin by bin: the sum
    of (a - e) * ln(a / e) over the bins' shares. Under 0.1 is read as no shift,
    0.1–0.25 as a moderate one, above 0.25 as a large one. None without rows."""
    n_expected, n_actual = sum(expected), sum(actual)
    if n_expected == 0 or n_actual == 0:
        return None
    total = 0.0
    for e_count, a_count in zip(expected, actual, strict=True):
        e = max(e_count / n_expected, PSI_FLOOR)
        a = max(a_count / n_actual, PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


# --- anytime-valid evidence ------------------------------------------------------------

# Picks at which the confidence sequence below is tightest: about 12 game days of ~40
# picks, where a lost edge becomes visible at all.
SEQUENCE_TUNED_N = 500


def mixture_rho(alpha: float, tuned_n: int = SEQUENCE_TUNED_N) -> float:
    """The mixing precision that makes the normal-mixture boundary tightest at intrinsic
    time V = tuned_n / 4 (Howard et al. 2021, section 3.5: rho = V / (2 log(1/alpha)
    + log(1 + 2 log(1/alpha))))."""
    log_term = 2 * math.log(1 / alpha)
    return (tuned_n / 4) / (log_term + math.log(1 + log_term))


def confidence_sequence(successes: int, n: int, alpha: float = 0.01,
                        tuned_n: int = SEQUENCE_TUNED_N) -> tuple[float, float] | None:
    """An anytime-valid interval for a Bernoulli rate: the normal-mixture (Robbins)
    confidence sequence of Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform,
    nonparametric, nonasymptotic confidence sequences", Annals of Statistics 49(2),
    2021 (eq. (3.7) with the sub-Gaussian variance proxy 1/4 of a [0, 1] outcome).

    With S_n = successes - n p and V_n = n / 4, the mixture martingale
    sqrt(rho / (V_n + rho)) exp(S_n^2 / (2 (V_n + rho))) exceeds 1/alpha, at any n at
    all, with probability at most alpha (Ville's inequality). So the true rate lies in

        successes / n  ±  sqrt((V_n + rho) log((V_n + rho) / (rho alpha^2))) / n

    for every n simultaneously, with probability at least 1 - alpha: an alert that fires
    when the interval is wholly past a threshold fires, over its identity's whole life
    and however often it is looked at, with probability at most alpha when the true
    rate is on the safe side. (The 95% Wilson interval is valid for one look only.)
    """
    if n <= 0:
        return None
    if successes < 0 or successes > n:
        raise ValueError(f"successes={successes} outside 0..{n}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    rho = mixture_rho(alpha, tuned_n)
    v = n / 4
    half = math.sqrt((v + rho) * math.log((v + rho) / (rho * alpha * alpha))) / n
    p = successes / n
    return (max(0.0, p - half), min(1.0, p + half))
