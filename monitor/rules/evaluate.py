"""Rules judge observations. Pure functions over plain values: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from monitor.config import Rule
from monitor.metrics.format import describe_observation, format_value
from monitor.model import CheckResult, Finding, FindingState, Observation, Status
from monitor.stats import confidence_sequence

FIRING: Final = "firing"
CLEAR: Final = "clear"
INSUFFICIENT: Final = "insufficient"
NO_VALUE: Final = "no-value"


def evaluate_rule(rule: Rule, obs: Observation) -> Finding:
    """One rule on one observation.

    With evidence "interval" a rate fires only when the whole interval is past the
    threshold: a 41-pick sample at 45% has an interval reaching above 55%, so it is
    not evidence of anything. With evidence "sequence" the interval is an anytime-valid
    confidence sequence for the rate at the rule's `alpha` (monitor.stats): valid over
    every look at the same alert identity, where the 95% interval is valid for one.
    """
    def finding(state: FindingState, reason: str) -> Finding:
        return Finding(rule.name, rule.severity, obs, state, rule.threshold, reason,
                       rule.runbook_url)

    if obs.value is None:
        return finding(NO_VALUE, f"{obs.metric} has no value (n={obs.sample_size})")
    if obs.sample_size < rule.min_sample:
        return finding(INSUFFICIENT, f"sample too small: n={obs.sample_size} < "
                                     f"{rule.min_sample} required")
    interval = sequence_bound(rule, obs) if rule.evidence == "sequence" else obs.interval
    use_interval = rule.evidence != "point" and interval is not None
    low, high = interval if use_interval and interval else (obs.value, obs.value)
    shown = format_value(obs.metric, rule.threshold)
    kind = "anytime-valid " if rule.evidence == "sequence" else ""
    if rule.below is not None:
        if high < rule.below:
            bound = f"{kind}upper bound" if use_interval else "value"
            return finding(FIRING, f"{bound} {format_value(obs.metric, high)} < {shown}")
        return finding(CLEAR, f"not below {shown}")
    if rule.above is not None:
        if low > rule.above:
            bound = f"{kind}lower bound" if use_interval else "value"
            return finding(FIRING, f"{bound} {format_value(obs.metric, low)} > {shown}")
        return finding(CLEAR, f"not above {shown}")
    assert rule.drop_from_baseline is not None
    if obs.baseline is None:
        return finding(INSUFFICIENT, "no baseline to compare with")
    drop = obs.baseline - high
    if drop >= rule.drop_from_baseline:
        return finding(FIRING, f"dropped {format_value(obs.metric, drop)} from baseline "
                               f"{format_value(obs.metric, obs.baseline)} (limit {shown})")
    return finding(CLEAR, f"within {shown} of baseline")


def sequence_bound(rule: Rule, obs: Observation) -> tuple[float, float] | None:
    """The anytime-valid interval of a rate observation (its value times its sample
    size are the successes)."""
    if obs.value is None or obs.sample_size <= 0 or not 0 <= obs.value <= 1:
        return None
    return confidence_sequence(round(obs.value * obs.sample_size), obs.sample_size,
                               rule.alpha)


def evaluate_check(name: str, metrics: Iterable[str], observations: Sequence[Observation],
                   rules: Sequence[Rule], empty_reason: str) -> CheckResult:
    """All rules on one check's observations → the check's status and summary."""
    metric_set = set(metrics)
    if not observations:
        return CheckResult(name, Status.NO_DATA, empty_reason, [], [])
    findings = [evaluate_rule(rule, obs) for rule in rules if rule.metric in metric_set
                for obs in observations
                if obs.metric == rule.metric and rule.applies_to(dict(obs.labels))]
    firing = [f for f in findings if f.state == FIRING]
    status = Status.OK
    if any(f.severity == "critical" for f in firing):
        status = Status.FAIL
    elif firing:
        status = Status.WARN
    return CheckResult(name, status, summarize(findings, observations), list(observations),
                       findings)


def summarize(findings: Sequence[Finding], observations: Sequence[Observation]) -> str:
    firing = [f for f in findings if f.state == FIRING]
    insufficient = [f for f in findings if f.state == INSUFFICIENT]
    no_value = [f for f in findings if f.state == NO_VALUE]
    judged = [f for f in findings if f.state in (FIRING, CLEAR)]
    parts: list[str] = []
    for f in sorted(firing, key=lambda f: (f.severity != "critical", f.rule))[:5]:
        parts.append(f"{f.rule}: {describe_observation(f.observation)} — {f.reason}")
    if len(firing) > 5:
        parts.append(f"and {len(firing) - 5} more firing")
    if not firing and judged:
        groups = len({f.observation.labels for f in judged})
        parts.append(f"{len(judged)} rule evaluations clear over {groups} label sets")
    if insufficient:
        worst = min(insufficient, key=lambda f: f.observation.sample_size)
        parts.append(f"{len(insufficient)} not judged, sample too small "
                     f"(e.g. {describe_observation(worst.observation)}; {worst.reason})")
    if no_value:
        why = dict(no_value[0].observation.context).get("not_judged", "no value")
        parts.append(f"{len(no_value)} not judged: {why}")
    # Once per label set: the hit rate and its bound carry the same count.
    ungraded = sum({o.labels: int(dict(o.context).get("ungraded") or 0)
                    for o in observations}.values())
    if ungraded:
        parts.append(f"{ungraded} predictions never graded once grading settled (late "
                     "scratches): counted, not judged")
    return "; ".join(parts) or "no rule applies to these observations"
