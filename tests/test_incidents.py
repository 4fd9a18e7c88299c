"""Incidents as a pure fold over the alert event log: grouping, keys, severity, inhibition,
keep_firing_for, reopening, reminders, acknowledgements and commit blocks. Plain
values, no server, no clock."""

from __future__ import annotations

import datetime as dt

from monitor.config import IncidentSettings, Resolve, Rule
from monitor.matchers import InhibitRule, parse_matcher
from monitor.rules.blocks import block_event, fold_blocks
from monitor.rules.incidents import (
    ChangeKind,
    MemberStatus,
    assign,
    fold_incidents,
    incident_event,
    plan_incident_ops,
    renamed_keys,
)
from monitor.rules.state import (
    INCIDENT_RULE,
    AlertEvent,
    Candidate,
    Evidence,
    cause_key,
    fingerprint,
    fold,
    make_event,
    transition,
)

T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
EV = Evidence("m", 0.9, 100, (0.8, 0.95), None, 0.5, "lower bound 80% > 50%")


def rule(name: str, severity: str = "warning", *, group_by: tuple[str, ...] = (
        "system_id", "build_commit_sha"), keep: dt.timedelta | None = None,
        announce: bool = True) -> Rule:
    return Rule(name=name, metric="m", above=0.5, severity=severity,  # type: ignore[arg-type]
                group_by=list(group_by), keep_firing_for=keep,
                resolve=Resolve(announce=announce, after_runs=1))


RULES = {r.name: r for r in (
    rule("ppm_default_filled", "critical"),
    rule("hit_rate_below_55", "critical"),
    rule("mae_drift_detected", "warning"),
    rule("hit_rate_drift_detected", "warning"),
    rule("edge_drift_detected", "critical"),
    rule("vegas_coverage_dropped", "warning", group_by=("system_id",)),
    rule("slate_late", "warning", group_by=("game_date",)),
    rule("kept", "warning", keep=dt.timedelta(hours=12)),
)}
CAUSES = InhibitRule(
    (parse_matcher('rule=~"ppm_default_filled|prediction_edge_collapsed"'),),
    (parse_matcher('rule=~"hit_rate_below_55|mae_drift_detected|hit_rate_drift_detected|'
                   'edge_drift_detected"'),),
    ("build_commit_sha",))
EDGE_OVER_HIT = InhibitRule((parse_matcher('rule="edge_drift_detected"'),),
                            (parse_matcher('rule="hit_rate_drift_detected"'),),
                            ("build_commit_sha", "system_id"))
SETTINGS = IncidentSettings()


def labels(commit: str = "bad", system: str = "v8") -> tuple[tuple[str, str], ...]:
    return (("build_commit_sha", commit), ("system_id", system))


class Log:
    """Plays cycles: alert transition, incidents, then pretend every op was delivered
    (or not)."""

    def __init__(self, inhibit: tuple[InhibitRule, ...] = (CAUSES, EDGE_OVER_HIT),
                 threads: bool = True) -> None:
        self.events: list[AlertEvent] = []
        self.inhibit = inhibit
        self.threads = threads
        self.sent: list[tuple[str, str]] = []  # (op kind, incident number) per cycle

    def cycle(self, now: dt.datetime, run: str,
              firing: dict[tuple[str, tuple[tuple[str, str], ...]], bool],
              deliver: bool = True) -> list[str]:
        candidates = [Candidate(r, RULES[r].severity, lbl, on, EV if on else None)
                      for (r, lbl), on in firing.items()]
        alerts_before = fold(self.events)
        new = transition(alerts_before, candidates, RULES, {r for r, _ in firing}, now, run)
        alerts = fold([*self.events, *new])
        keys = {fp: cause_key(st.rule, dict(st.labels), RULES[st.rule].incident_by)
                for fp, st in alerts.items() if st.rule in RULES}
        keys.update(renamed_keys(fold_incidents(self.events), new))
        decided = assign(fold_incidents(self.events), alerts, new, keys=keys,
                         inhibit_rules=self.inhibit, settings=SETTINGS, now=now, run_id=run)
        self.events += decided
        ops = plan_incident_ops(fold_incidents(self.events), alerts, now=now,
                                settings=SETTINGS, threads=self.threads)
        out = []
        for op in ops:
            inc = op.incident
            kind = "notified" if deliver else "notify_failed"
            self.events.append(incident_event(now, run, kind, inc.incident_id, inc.key,
                                              inc.severity, detail=op.kind,
                                              slack_ts=f"ts{inc.number}" if op.kind == "post"
                                              else None, slack_channel="C1"))
            out.append(f"{op.kind}#{inc.number}" + ("!" if op.broadcast else ""))
        return out

    def incidents(self) -> dict[str, object]:
        return dict(fold_incidents(self.events))

    def only(self):  # type: ignore[no-untyped-def]
        incs = list(fold_incidents(self.events).values())
        assert len(incs) == 1, incs
        return incs[0]


def test_cause_key_is_the_commit_else_the_incident_by_labels_else_the_rule() -> None:
    assert cause_key("r", {"build_commit_sha": "abc", "system_id": "v8"}) == "commit:abc"
    for not_a_commit in ("all", "unknown", ""):
        assert cause_key("r", {"build_commit_sha": not_a_commit, "system_id": "v8"}) == \
            "system_id=v8"
    assert cause_key("slate_late", {"game_date": "2026-01-09"}) == "rule:slate_late"
    assert cause_key("r", {"game_date": "d", "system_id": "v8"}, ["game_date"]) == "game_date=d"


def test_both_systems_of_one_commit_are_one_incident_with_one_post() -> None:
    log = Log()
    sent = log.cycle(T, "1", {("ppm_default_filled", labels(system="v8")): True,
                              ("ppm_default_filled", labels(system="v9")): True})
    assert sent == ["post#1"]
    inc = log.only()
    assert inc.key == "commit:bad" and len(inc.members) == 2
    assert inc.severity == "critical" and inc.slack_ts == "ts1"
    # The next cycle, still firing: nothing to say.
    assert log.cycle(T + H, "2", {("ppm_default_filled", labels(system="v8")): True,
                                  ("ppm_default_filled", labels(system="v9")): True}) == []


def test_a_rule_joining_an_open_incident_is_one_reply_and_an_update() -> None:
    log = Log()
    log.cycle(T, "1", {("mae_drift_detected", labels()): True})
    sent = log.cycle(T + H, "2", {("mae_drift_detected", labels()): True,
                                  ("vegas_coverage_dropped", (("system_id", "v8"),)): True,
                                  ("hit_rate_drift_detected", labels(system="v9")): True})
    # The coverage alert has no commit: an incident of its own, keyed by system.
    assert sent == ["reply#1", "update#1", "post#2"]
    incs = sorted(fold_incidents(log.events).values(), key=lambda i: i.number)
    assert [i.key for i in incs] == ["commit:bad", "system_id=v8"]
    assert len(incs[0].members) == 2


def test_a_critical_joining_a_warning_incident_raises_it_and_broadcasts() -> None:
    log = Log()
    log.cycle(T, "1", {("mae_drift_detected", labels()): True})
    assert log.only().severity == "warning"
    sent = log.cycle(T + H, "2", {("mae_drift_detected", labels()): True,
                                  ("hit_rate_below_55", labels()): True})
    assert sent == ["reply#1!", "update#1"]
    inc = log.only()
    assert inc.severity == "critical" and not inc.raised
    raised = [e for e in log.events if e.event_type == "severity_raised"]
    assert len(raised) == 1 and raised[0].rule == INCIDENT_RULE


def test_an_incident_opened_by_a_warning_and_a_critical_at_once_starts_critical() -> None:
    log = Log(inhibit=())
    log.cycle(T, "1", {("mae_drift_detected", labels()): True,
                       ("hit_rate_below_55", labels()): True})
    assert log.only().severity == "critical"
    assert not [e for e in log.events if e.event_type == "severity_raised"]


def test_a_cause_inhibits_its_symptoms_in_the_same_incident_only() -> None:
    log = Log()
    sent = log.cycle(T, "1", {("ppm_default_filled", labels()): True,
                              ("hit_rate_below_55", labels()): True,
                              ("hit_rate_below_55", labels(commit="other")): True})
    assert sent == ["post#1", "post#2"]  # the other commit's alert is its own incident
    by_key = {i.key: i for i in fold_incidents(log.events).values()}
    bad = by_key["commit:bad"]
    status = {m.rule: m.status for m in bad.members.values()}
    assert status == {"ppm_default_filled": MemberStatus.FIRING,
                      "hit_rate_below_55": MemberStatus.INHIBITED}
    assert {m.status for m in by_key["commit:other"].members.values()} == {
        MemberStatus.FIRING}
    # The cause resolves: the symptom is no longer inhibited, with one reply, no page.
    sent = log.cycle(T + H, "2", {("ppm_default_filled", labels()): False,
                                  ("hit_rate_below_55", labels()): True,
                                  ("hit_rate_below_55", labels(commit="other")): True})
    assert sent == ["reply#1", "update#1"]
    bad = fold_incidents(log.events)[bad.incident_id]
    kinds = [c.kind for c in fold_incidents(log.events[:-2])[bad.incident_id].unannounced]
    assert ChangeKind.UNINHIBITED in kinds and ChangeKind.RESOLVED in kinds
    assert {m.rule: m.status for m in bad.members.values()}["hit_rate_below_55"] is \
        MemberStatus.FIRING


def test_a_symptom_firing_first_is_inhibited_when_its_cause_joins() -> None:
    log = Log()
    log.cycle(T, "1", {("hit_rate_drift_detected", labels()): True})
    log.cycle(T + H, "2", {("hit_rate_drift_detected", labels()): True,
                           ("edge_drift_detected", labels()): True})
    inc = log.only()
    status = {m.rule: m.status for m in inc.members.values()}
    assert status["hit_rate_drift_detected"] is MemberStatus.INHIBITED
    assert [e.detail for e in log.events if e.event_type == "inhibited"] == [
        "edge_drift_detected"]


def test_equal_labels_must_match_for_inhibition() -> None:
    log = Log()
    log.cycle(T, "1", {("edge_drift_detected", labels(system="v8")): True,
                       ("hit_rate_drift_detected", labels(system="v9")): True})
    status = {m.rule: m.status for m in log.only().members.values()}
    assert status["hit_rate_drift_detected"] is MemberStatus.FIRING


def test_matchers_speak_alertmanagers_four_operators() -> None:
    lab = {"rule": "hit_rate_below_55", "severity": "critical", "system_id": "v8"}
    assert parse_matcher('rule="hit_rate_below_55"').matches(lab)
    assert parse_matcher("severity!=warning").matches(lab)
    assert parse_matcher('rule=~"hit_rate_.*"').matches(lab)
    assert not parse_matcher('rule=~"hit_rate"').matches(lab)  # anchored, as Alertmanager
    assert parse_matcher('system_id!~"v9|v10"').matches(lab)
    assert parse_matcher('missing=""').matches(lab)
    for bad in ("rule", "rule==x", 'rule=~"("'):
        try:
            parse_matcher(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")


def test_the_incident_resolves_when_every_member_has_with_one_reply_and_update() -> None:
    log = Log()
    log.cycle(T, "1", {("mae_drift_detected", labels()): True,
                       ("hit_rate_below_55", labels(system="v9")): True})
    assert log.cycle(T + H, "2", {("mae_drift_detected", labels()): False,
                                  ("hit_rate_below_55", labels(system="v9")): True}) == [
        "reply#1", "update#1"]
    assert log.only().open
    assert log.cycle(T + 2 * H, "3", {("mae_drift_detected", labels()): False,
                                      ("hit_rate_below_55", labels(system="v9")): False}) == [
        "reply#1", "update#1"]
    inc = log.only()
    assert not inc.open and inc.resolved_at == T + 2 * H
    assert log.cycle(T + 3 * H, "4", {("hit_rate_below_55", labels(system="v9")): False}) == []


def test_a_quiet_resolution_updates_the_message_without_a_reply() -> None:
    global RULES
    saved = RULES
    RULES = {**RULES, "quiet": rule("quiet", announce=False)}
    try:
        log = Log()
        log.cycle(T, "1", {("quiet", labels()): True,
                           ("mae_drift_detected", labels()): True})
        assert log.cycle(T + H, "2", {("quiet", labels()): False,
                                      ("mae_drift_detected", labels()): True}) == ["update#1"]
        assert log.only().unannounced == ()
    finally:
        RULES = saved


def test_keep_firing_for_rides_over_a_gap_and_then_resolves() -> None:
    log = Log()
    key = ("kept", labels())
    log.cycle(T, "1", {key: True})
    # Half-graded night: the evidence is gone for a few hours, the alert stays.
    for i in range(1, 12):
        assert log.cycle(T + i * H, str(i + 1), {key: False}) == []
    assert log.only().open
    assert not [e for e in log.events if e.event_type == "resolved"]
    # Back before 12 h: still the same alert, nothing said, nothing re-fired.
    assert log.cycle(T + 12 * H, "13", {key: True}) == []
    state = fold(log.events)[fingerprint("kept", labels())]
    assert state.active and state.cleared_at is None
    for i in range(13, 25):
        log.cycle(T + i * H, str(i + 1), {key: False})
    assert log.only().open  # 12 h since the last firing result (12 h) not yet passed
    log.cycle(T + 25 * H, "26", {key: False})
    assert not log.only().open
    resolved = [e for e in log.events if e.event_type == "resolved" and e.rule == "kept"]
    assert [e.event_time for e in resolved] == [T + 25 * H]


def test_an_incident_firing_again_within_reopen_within_is_reopened_not_paged() -> None:
    log = Log()
    key = ("mae_drift_detected", labels())
    log.cycle(T, "1", {key: True})
    log.cycle(T + H, "2", {key: False})
    first = log.only()
    assert not first.open
    sent = log.cycle(T + 30 * H, "3", {key: True})
    assert sent == ["reply#1", "update#1"]  # in the old thread
    inc = log.only()
    assert inc.open and inc.incident_id == first.incident_id and inc.reopened_at == T + 30 * H
    # After reopen_within, the same key is a new incident with a page of its own.
    log.cycle(T + 31 * H, "4", {key: False})
    sent = log.cycle(T + 31 * H + SETTINGS.reopen_within + H, "5", {key: True})
    assert sent == ["post#2"]


def test_reminders_once_per_repeat_interval_until_acknowledged_or_raised() -> None:
    log = Log()
    key = ("mae_drift_detected", labels())
    log.cycle(T, "1", {key: True})
    reminders = []
    for i in range(1, 49):
        reminders += [s for s in log.cycle(T + i * H, str(i + 1), {key: True})
                      if s.startswith("reminder")]
    assert reminders == ["reminder#1", "reminder#1"]  # at 24 h and 48 h
    inc = log.only()
    log.events.append(incident_event(T + 49 * H, "slack", "acknowledged", inc.incident_id,
                                     inc.key, inc.severity, actor="U123"))
    for i in range(50, 100):
        assert log.cycle(T + i * H, str(i + 1), {key: True}) == []
    # A critical joining ends the acknowledgement: the rise is broadcast, reminders return.
    sent = log.cycle(T + 100 * H, "101", {key: True, ("hit_rate_below_55", labels()): True})
    assert sent == ["reply#1!", "update#1"]
    assert log.only().acknowledged_by is None


def test_a_silenced_incident_is_neither_posted_nor_reminded() -> None:
    log = Log()
    key = ("mae_drift_detected", labels())
    log.cycle(T, "1", {key: True})
    inc = log.only()
    until = (T + 30 * H).isoformat()
    log.events.append(incident_event(T + H, "slack", "silence", inc.incident_id, inc.key,
                                     inc.severity, detail=until, actor="U1"))
    # No reminder at 24 h: silenced.
    assert all(log.cycle(T + i * H, str(i), {key: True}) == [] for i in range(2, 30))
    assert log.only().silenced_by == "U1"
    # The silence expires: what still fires is reminded of again.
    assert log.cycle(T + 31 * H, "31", {key: True}) == ["reminder#1"]


def test_a_failed_post_stays_owed_and_is_sent_once_delivery_works() -> None:
    log = Log()
    key = ("ppm_default_filled", labels())
    assert log.cycle(T, "1", {key: True}, deliver=False) == ["post#1"]
    assert log.cycle(T + H, "2", {key: True}, deliver=False) == ["post#1"]
    assert log.cycle(T + 2 * H, "3", {key: True}) == ["post#1"]
    assert log.cycle(T + 3 * H, "4", {key: True}) == []


def test_a_webhook_gets_no_updates() -> None:
    log = Log(threads=False)
    log.cycle(T, "1", {("mae_drift_detected", labels()): True})
    sent = log.cycle(T + H, "2", {("mae_drift_detected", labels()): True,
                                  ("hit_rate_below_55", labels()): True})
    assert sent == ["reply#1!"]


def test_alerts_open_before_incidents_existed_are_adopted_without_a_new_post() -> None:
    # A release without incidents: two alerts fired and were posted, one each.
    events = []
    for n, system in enumerate(("v8", "v9")):
        lbl = labels(system=system)
        events.append(make_event(T + n * H, f"old{n}", "fired", "hit_rate_below_55",
                                 "critical", lbl, evidence=EV))
        events.append(make_event(T + n * H, f"old{n}", "notified", "hit_rate_below_55",
                                 "critical", lbl, detail="firing", slack_ts=f"old-ts{n}",
                                 slack_channel="C1"))
    log = Log()
    log.events = events
    sent = log.cycle(T + 5 * H, "new", {("hit_rate_below_55", labels(system="v8")): True,
                                        ("hit_rate_below_55", labels(system="v9")): True})
    assert sent == []  # nothing re-posted
    inc = log.only()
    assert inc.slack_ts == "old-ts0" and len(inc.members) == 2
    assert {e.event_type for e in log.events if e.run_id == "new"} == {"joined", "opened",
                                                                       "notified"}


def test_ids_are_derived_so_replays_agree() -> None:
    runs = []
    for _ in range(2):
        log = Log()
        log.cycle(T, "1", {("ppm_default_filled", labels()): True})
        runs.append([(e.event_id, e.incident_id) for e in log.events])
    assert runs[0] == runs[1]


def test_blocks_fold_to_the_latest_word_per_commit() -> None:
    events = [block_event(T, "cli", "bad", actor="U1", reason="broken features"),
              block_event(T + H, "cli", "worse", actor="U2", reason="x"),
              block_event(T + 2 * H, "cli", "worse", actor="U2", reason="", blocked=False)]
    blocks = fold_blocks(events)
    assert list(blocks) == ["bad"]
    assert blocks["bad"].blocked_by == "U1" and blocks["bad"].reason == "broken features"
    assert fold_blocks([*events, block_event(T + 3 * H, "cli", "bad", actor="U3",
                                             reason="", blocked=False)]) == {}


def test_an_incident_that_resolved_while_the_channel_was_down_is_one_post_saying_so() -> None:
    from monitor.delivery import plan
    from monitor.notify.formats.block_kit import block_kit

    log = Log()
    key = ("ppm_default_filled", labels())
    assert log.cycle(T, "1", {key: True}, deliver=False) == ["post#1"]
    assert log.cycle(T + H, "2", {key: False}, deliver=False) == ["post#1"]
    inc = log.only()
    assert not inc.open and inc.posted_at is None
    # What the one post says: the incident, resolved, with its member.
    ops = plan_incident_ops(fold_incidents(log.events), fold(log.events), now=T + 2 * H,
                            settings=SETTINGS, threads=True)
    message, = plan(ops, fold(log.events), RULES, threads=True, provenance={}, now=T + 2 * H)
    drawn = block_kit(message.body)
    assert message.op == "post" and message.thread_ts is None
    assert drawn.blocks[0]["text"]["text"] == "CRITICAL #1: commit bad (resolved)"
    assert "ppm_default_filled" in str(drawn.blocks) and "resolved at" in drawn.text
    assert not any(b.get("block_id") == "alert_actions" for b in drawn.blocks)
    assert log.cycle(T + 2 * H, "3", {key: False}) == ["post#1"]
    assert log.cycle(T + 3 * H, "4", {key: False}) == []


def test_an_alert_whose_rule_gained_a_label_is_renamed_without_a_page_or_a_reply() -> None:
    """prediction_edge_collapsed was grouped by system; now by system and commit. The
    alert open at the upgrade goes on under its new identity in the same incident: one
    update, no post, no reply, no resolve."""
    global RULES
    old_rule = rule("edge_collapsed", "critical", group_by=("system_id",))
    new_rule = rule("edge_collapsed", "critical")
    saved = RULES
    try:
        RULES = {**saved, "edge_collapsed": old_rule}
        log = Log()
        assert log.cycle(T, "1", {("edge_collapsed", (("system_id", "v8"),)): True}) == [
            "post#1"]
        RULES = {**saved, "edge_collapsed": new_rule}
        ops = log.cycle(T + H, "2", {("edge_collapsed", labels("c0ffee1", "v8")): True})
        assert ops == ["update#1"]
        inc = log.only()
        assert inc.open and inc.key == "system_id=v8" and inc.slack_ts == "ts1"
        statuses = sorted((dict(m.labels).get("build_commit_sha", "-"), m.status.value)
                          for m in inc.members.values())
        assert statuses == [("-", "resolved"), ("c0ffee1", "firing")]
        new_fp = fingerprint("edge_collapsed", labels("c0ffee1", "v8"))
        fired, = [e for e in log.events if e.fingerprint == new_fp and e.event_type == "fired"]
        assert fired.detail is not None and fired.detail.startswith("renamed ")
        assert log.cycle(T + 2 * H, "3",
                         {("edge_collapsed", labels("c0ffee1", "v8")): True}) == []
    finally:
        RULES = saved


def test_the_system_wide_series_joins_the_open_incident_of_the_commit_serving_it() -> None:
    log = Log()
    # In the same cycle as the commit's first alert, and in a later one.
    assert log.cycle(T, "1", {("ppm_default_filled", labels("bad", "v8")): True,
                              ("mae_drift_detected", labels("all", "v8")): True}) == ["post#1"]
    log.cycle(T + H, "2", {("ppm_default_filled", labels("bad", "v8")): True,
                           ("mae_drift_detected", labels("all", "v8")): True,
                           ("hit_rate_drift_detected", labels("all", "v8")): True})
    inc = log.only()
    assert inc.key == "commit:bad" and len(inc.members) == 3
    # Another system's series is not that commit's doing.
    log.cycle(T + 2 * H, "3", {("ppm_default_filled", labels("bad", "v8")): True,
                               ("mae_drift_detected", labels("all", "v8")): True,
                               ("hit_rate_drift_detected", labels("all", "v8")): True,
                               ("mae_drift_detected", labels("all", "v9")): True})
    assert sorted(i.key for i in log.incidents().values()) == [  # type: ignore[attr-defined]
        "commit:bad", "system_id=v9"]
