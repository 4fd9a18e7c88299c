"""backtest's incidents: the replay's alert log folded into incidents, each with its
members and the messages it would have sent; inhibited alerts in the alert list; the
JSON shape the docs show. On hand-made events of the incident fold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from monitor.backtest import REPORTED, backtest_alert, backtest_incidents
from monitor.commands.backtest_command import incident_lines
from monitor.rules.state import INCIDENT_RULE
from tests.incident_history import BAD, COMMIT, V9, H, T, incident_history

ROOT = Path(__file__).resolve().parent.parent


def test_each_incident_lists_its_members_and_the_messages_it_sent() -> None:
    events, first, second = incident_history()
    incidents = backtest_incidents(events)
    assert [i.incident_id for i in incidents] == [first, second]
    one, two = (i.to_json() for i in incidents)
    assert one == {
        "id": first, "number": 1, "key": f"commit:{COMMIT}", "severity": "critical",
        "opened": T.isoformat(), "resolved": (T + 30 * H).isoformat(),
        "members": [
            {"fingerprint": one["members"][0]["fingerprint"], "rule": "ppm_default_filled",
             "severity": "critical", "labels": dict(BAD), "first_fired": T.isoformat(),
             "status": "resolved"},
            {"fingerprint": one["members"][1]["fingerprint"], "rule": "hit_rate_below_55",
             "severity": "critical", "labels": dict(BAD),
             "first_fired": (T + H).isoformat(), "status": "resolved"}],
        # The page; the replies of the joining symptom, the reminder and the resolution.
        "pages": 1, "replies": 3, "reminders": 1, "updates": 2}
    assert (two["key"], two["severity"], two["resolved"]) == (
        "system_id=catboost_v9", "warning", None)
    assert [(m["rule"], m["labels"], m["status"]) for m in two["members"]] == [
        ("vegas_coverage_dropped", dict(V9), "firing")]
    assert (two["pages"], two["replies"], two["reminders"], two["updates"]) == (1, 0, 0, 0)
    # Replayed up to the inhibition: the symptom is listed as inhibited, nothing resolved.
    early = backtest_incidents(e for e in events if e.event_time <= T + H)
    assert [m.status for m in early[0].members] == ["firing", "inhibited"]
    assert early[0].resolved is None and (early[0].pages, early[0].replies) == (1, 1)


def test_an_inhibited_alert_is_in_the_alert_list_with_its_source() -> None:
    events, first, _ = incident_history()
    assert "inhibited" in REPORTED
    listed = [backtest_alert(e.event_time, e) for e in events
              if e.event_type in REPORTED and e.rule != INCIDENT_RULE]
    assert [(a.event, a.rule) for a in listed] == [
        ("fired", "ppm_default_filled"), ("fired", "hit_rate_below_55"),
        ("inhibited", "hit_rate_below_55"), ("fired", "vegas_coverage_dropped"),
        ("resolved", "ppm_default_filled"), ("resolved", "hit_rate_below_55")]
    inhibited = listed[2].to_json()
    assert (inhibited["inhibited_by"], inhibited["incident_id"]) == ("ppm_default_filled",
                                                                    first)
    assert listed[0].to_json()["inhibited_by"] is None


def test_the_text_lists_each_incident_then_its_members() -> None:
    events, _, _ = incident_history()
    lines = incident_lines(backtest_incidents(events), seconds=False)
    assert lines == [
        f"INCIDENT #1 critical commit:{COMMIT}: opened 2026-01-09 15:15Z, resolved "
        "2026-01-10 21:15Z; pages=1 replies=3 (reminders=1) updates=2",
        f"  ppm_default_filled critical [build_commit_sha={COMMIT}, system_id=catboost_v8] "
        "first fired 2026-01-09 15:15Z, resolved",
        f"  hit_rate_below_55 critical [build_commit_sha={COMMIT}, system_id=catboost_v8] "
        "first fired 2026-01-09 16:15Z, resolved",
        "INCIDENT #2 warning system_id=catboost_v9: opened 2026-01-09 17:15Z, still open; "
        "pages=1 replies=0 (reminders=0) updates=0",
        "  vegas_coverage_dropped warning [system_id=catboost_v9] first fired "
        "2026-01-09 17:15Z, firing"]


def documented_backtest_json() -> Any:
    page = (ROOT / "docs" / "commands.md").read_text()
    section = page.split("\n### Backtest JSON (`--format json`)\n", 1)[1].split("\n## ", 1)[0]
    return json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])


def test_the_docs_show_the_json_backtest_prints() -> None:
    doc = documented_backtest_json()
    assert set(doc) == {"start", "end", "schedule", "cycles", "event_cycles", "alerts",
                        "incidents"}
    events, _, _ = incident_history()
    alert = backtest_alert(T, events[1]).to_json()
    incident = backtest_incidents(events)[0].to_json()
    assert set(doc["alerts"][0]) == set(alert)
    assert set(doc["incidents"][0]) == set(incident)
    assert set(doc["incidents"][0]["members"][0]) == set(incident["members"][0])
