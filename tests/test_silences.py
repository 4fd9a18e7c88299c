"""`silences` as plain values: alerts.yaml and Slack silences side by side."""

from __future__ import annotations

import datetime as dt

from monitor.config import MonitorConfig, Silence
from monitor.rules.incidents import fold_incidents, incident_event
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
                                  "comment": "known", "incident": None}


def test_an_incident_silence_set_from_slack_is_listed_with_its_incident(
        config: MonitorConfig) -> None:
    key = "commit:0b5e11ad" + "0" * 32
    until = T + dt.timedelta(hours=24)
    events = [
        incident_event(T, "r1", "opened", "inc-1", key, "critical", detail="3"),
        incident_event(T, "slack:U1|1.0|2.0", "silence", "inc-1", key, "critical",
                       detail=until.isoformat(), actor="U0ONCALL"),
        # Another incident, silenced and then unsilenced: not listed.
        incident_event(T, "r1", "opened", "inc-2", "system_id=v8", "warning", detail="4"),
        incident_event(T, "slack:U1|1.0|3.0", "silence", "inc-2", "system_id=v8", "warning",
                       detail=until.isoformat(), actor="U0ONCALL"),
        incident_event(T, "slack:U1|1.0|4.0", "unsilence", "inc-2", "system_id=v8",
                       "warning", actor="U0ONCALL"),
    ]
    incidents = fold_incidents(events).values()
    alert = AlertState("a", config.rules[0].name, "critical", LABELS,
                       silenced_until=T + dt.timedelta(hours=3), silenced_by="U0SECOND")
    found = active_silences(config, [alert], T + dt.timedelta(hours=1), incidents)
    assert [(s.rule, s.by, s.incident is None) for s in found] == [
        (config.rules[0].name, "U0SECOND", True), ("incident", "U0ONCALL", False)]
    assert found[1].to_json() == {
        "origin": "slack", "rule": "incident", "matchers": {"incident_key": key},
        "until": until.isoformat(), "by": "U0ONCALL", "comment": "",
        "incident": {"number": 3, "key": key, "id": "inc-1"}}
    assert found[0].to_json()["incident"] is None
    # Expired: no longer listed.
    assert active_silences(config, [], until, incidents) == []
