"""`silences` as plain values: alerts.yaml and Slack silences side by side."""

from __future__ import annotations

import datetime as dt

from monitor.config import MonitorConfig, Silence
from monitor.rules.silences import active_silences
from monitor.rules.state import AlertState

T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
LABELS = (("build_commit_sha", "bad"), ("system_id", "v8"))


def test_active_silences_from_both_origins_and_none_expired(config: MonitorConfig) -> None:
    rule = config.rules[0]
    cfg = config.model_copy(update={"rules": [rule.model_copy(update={"silences": [
        Silence(matchers={"system_id": "v9"}, expires_at=T + dt.timedelta(days=2),
                comment="known"),
        Silence(matchers={"system_id": "old"}, expires_at=T)]})]})
    states = [
        AlertState("a", rule.name, "critical", LABELS, silenced_until=T + dt.timedelta(hours=3),
                   silenced_by="U0ONCALL"),
        AlertState("b", rule.name, "critical", (("system_id", "x"),),
                   silenced_until=T - dt.timedelta(minutes=1), silenced_by="U0OLD"),
        AlertState("c", rule.name, "critical", (("system_id", "y"),)),
    ]
    found = active_silences(cfg, states, T)
    assert [(s.origin, s.by, s.matchers, s.until) for s in found] == [
        ("slack", "U0ONCALL", LABELS, T + dt.timedelta(hours=3)),
        ("alerts.yaml", None, (("system_id", "v9"),), T + dt.timedelta(days=2))]
    assert found[1].to_json() == {"origin": "alerts.yaml", "rule": rule.name,
                                  "matchers": {"system_id": "v9"},
                                  "until": "2026-01-11T15:00:00+00:00", "by": None,
                                  "comment": "known"}
