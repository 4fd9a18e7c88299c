"""Inhibition, as Alertmanager's `inhibit_rules`: while a source alert fires, the alerts
it explains (its symptoms) are not paged on their own. Pure: labels in, verdicts out.

The rules themselves (matchers over an alert's labels plus `rule` and `severity`) are
`monitor.matchers.InhibitRule`, validated from alerts.yaml's `inhibit_rules:` at load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.config import MonitorConfig
from monitor.matchers import InhibitRule


def inhibit_rules_of(config: MonitorConfig) -> tuple[InhibitRule, ...]:
    """The configuration's `inhibit_rules:`, in file order."""
    return tuple(entry.rule() for entry in config.inhibit_rules)


@dataclass(frozen=True)
class Firing:
    """One alert that fires now (silenced or not), as inhibition sees it."""

    fingerprint: str
    rule: str
    severity: str
    labels: tuple[tuple[str, str], ...]

    def matchable(self) -> dict[str, str]:
        return {**dict(self.labels), "rule": self.rule, "severity": self.severity}


def inhibited_by(alerts: Sequence[Firing], rules: Iterable[InhibitRule]) -> dict[str, str]:
    """Target fingerprint → the fingerprint of a source that inhibits it. An alert never
    inhibits itself; the caller passes the alerts of one incident."""
    rules = tuple(rules)
    out: dict[str, str] = {}
    views = [(a, a.matchable()) for a in alerts]
    for target, target_labels in views:
        for source, source_labels in views:
            if source.fingerprint == target.fingerprint:
                continue
            if any(r.inhibits(source_labels, target_labels) for r in rules):
                out[target.fingerprint] = source.fingerprint
                break
    return out
