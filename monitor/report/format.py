"""How numbers are written for people. Every rate goes out with n and its interval."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from monitor.metrics.registry import names_of
from monitor.model import Observation

# C0/C1 control characters (ANSI escapes, \r that overwrites a line, \b...) except
# tab and newline: text from the data must not drive the reader's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_AND_NEWLINE = re.compile(r"[\x00-\x08\n-\x1f\x7f-\x9f]")


def runbook_link(runbook_url: str, base_url: str | None) -> tuple[str, str | None]:
    """A rule's runbook as (text, url): an absolute `runbook_url` is its own link; a
    relative one (`runbooks.md#hit_rate_below_55`) is joined to `base_url`
    (`settings.runbook_base_url`, where a deployment serves docs/), and without a base
    it has no link: the renderers show the text alone."""
    if urlsplit(runbook_url).scheme:
        return runbook_url, runbook_url
    if base_url:
        joined = urljoin(base_url if base_url.endswith("/") else base_url + "/", runbook_url)
        return joined, joined
    return runbook_url, None


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with control characters shown escaped (`\\x1b`, `\\r`), as markdown
    and HTML output already escape theirs."""
    pattern = _CONTROL if keep_newlines else _CONTROL_AND_NEWLINE
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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
