"""How a metric's numbers are written for people, from the metric registry. Every rate
goes out with n and its interval."""

from __future__ import annotations

from monitor.metrics.registry import names_of
from monitor.model import Observation

# How each metric reads comes from the metric registry.
RATE_METRICS = names_of("share")
COUNT_METRICS = names_of("count")


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in RATE_METRICS:
        return f"{value * 100:.1f}%"
    if metric in COUNT_METRICS and float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.2f}"


def format_interval(metric: str, interval: tuple[float, float] | None) -> str:
    if interval is None:
        return ""
    return f"95% CI {format_value(metric, interval[0])}–{format_value(metric, interval[1])}"


def describe_labels(obs: Observation) -> str:
    return ", ".join(f"{k}={v}" for k, v in obs.labels)


def describe_observation(obs: Observation) -> str:
    """e.g. hit_rate 50.2% (n=612, 95% CI 46.3%–54.2%) [system_id=..., window=7d]"""
    facts = [f"n={obs.sample_size}"]
    if obs.interval:
        facts.append(format_interval(obs.metric, obs.interval))
    if obs.baseline is not None:
        facts.append(f"baseline {format_value(obs.metric, obs.baseline)}")
    return (f"{obs.metric} {format_value(obs.metric, obs.value)} ({', '.join(facts)}) "
            f"[{describe_labels(obs)}]")
