"""Alert state: an append-only event log folded into current state, and the pure
transition from (state, this run's findings) to new events.

Event types: fired, silenced, repeated, clear, resolved, notified, notify_failed,
notify_dropped (the channel refused the message for good; detail: "kind: error code",
plus THIS_MESSAGE_ONLY when only that message was refused),
and the actions people take from Slack (with the Slack user as `actor`): acknowledged,
silence (detail: until when, ISO 8601), unsilence.
No I/O and no clock here: `now` and `run_id` are passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, assert_never, get_args

from monitor.config import Rule
from monitor.model import Finding, Labels, Severity
from monitor.rules.evaluate import FIRING

# The words of the event log, as types: mypy strict refuses a comparison with a word
# that is not one of them, and `fold` must handle each (assert_never).
AlertEventType = Literal["fired", "silenced", "repeated", "clear", "resolved", "notified",
                         "notify_failed", "notify_dropped", "acknowledged", "silence",
                         "unsilence"]
# Written to the same log by the incident fold (monitor/rules/incidents.py) and the
# commit blocks (monitor/rules/blocks.py); an alert's own state leaves them to those.
IncidentEventType = Literal["opened", "reopened", "joined", "severity_raised", "inhibited",
                            "uninhibited"]
BlockEventType = Literal["blocked", "unblocked"]
EventType = Literal[AlertEventType, IncidentEventType, BlockEventType]
Action = Literal["acknowledged", "silence", "unsilence"]  # written by people, from Slack
# A message still owed: a new alert, a repeat, a resolution, or "fired_resolved" (the
# alert resolved while its firing message was still owed: one message says both).
Pending = Literal["firing", "repeat", "resolved", "fired_resolved"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
ACTIONS: tuple[Action, ...] = get_args(Action)
PENDING: tuple[Pending, ...] = get_args(Pending)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
# Ends a notify_dropped detail when the channel refused that one message, not all.
THIS_MESSAGE_ONLY = " (this message)"
# Starts the detail of the `fired` event of an alert renamed by an upgrade (its rule's
# group_by gained a label), followed by the old fingerprint; the old alert's `resolved`
# detail is "renamed".
RENAMED = "renamed "
# The rules of events that are not about one alert: an incident's own events
# (monitor/rules/incidents.py) and commit blocks (monitor/rules/blocks.py).
INCIDENT_RULE = "incident"
BLOCK_RULE = "commit_block"
# build_commit_sha values that name no commit: the system-wide series and old code.
NOT_COMMITS = frozenset({"", "all", "unknown"})


def as_event_type(text: str) -> EventType | None:
    """The event type a stored row names; None for one this code does not know."""
    return next((t for t in EVENT_TYPES if t == text), None)


def as_pending(text: str | None) -> Pending | None:
    return next((p for p in PENDING if p == text), None)


def as_severity(text: str | None) -> Severity:
    """A stored row's severity; every release wrote one of SEVERITIES."""
    return next((s for s in SEVERITIES if s == text), "warning")


def fingerprint(rule: str, labels: Labels) -> str:
    """Identity of an alert: the rule and its group labels."""
    text = rule + "\x1f" + "\x1f".join(f"{k}={v}" for k, v in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cause_key(rule: str, labels: Mapping[str, str],
              incident_by: Sequence[str] | None = None,
              context: Mapping[str, str] | None = None) -> str:
    """What an alert is about: its commit when it names one (a label, or the commit
    of the blocked batch its evidence names: a slate left without data by the gate is
    that commit's doing), else its `incident_by` labels (default `system_id`), else its
    rule."""
    commit = labels.get("build_commit_sha", "")
    if commit in NOT_COMMITS:
        commit = (context or {}).get("blocked_commit", "")
    if commit not in NOT_COMMITS:
        return f"commit:{commit}"
    by = ["system_id"] if incident_by is None else list(incident_by)
    parts = [f"{k}={labels[k]}" for k in by if labels.get(k, "") != ""]
    return ",".join(parts) if parts else f"rule:{rule}"


@dataclass(frozen=True)
class Evidence:
    """What a message shows about an alert: the strongest firing observation."""

    metric: str
    value: float | None
    sample_size: int
    interval: tuple[float, float] | None
    baseline: float | None
    threshold: float
    reason: str
    dates: tuple[str, ...] = ()
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AlertEvent:
    event_id: str
    event_time: dt.datetime
    run_id: str
    event_type: EventType
    rule: str
    fingerprint: str
    severity: Severity
    labels: Labels
    evidence: Evidence | None = None
    slack_ts: str | None = None
    slack_channel: str | None = None
    detail: str | None = None  # notification kind, silence comment, delivery error
    actor: str | None = None  # who acted (a Slack user id); None: the monitor itself
    # The incident the event belongs to (monitor/rules/incidents.py), and its cause key.
    incident_id: str | None = None
    incident_key: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One rule on one group of labels in this run."""

    rule: str
    severity: Severity
    labels: Labels
    firing: bool
    evidence: Evidence | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.labels)


@dataclass(frozen=True)
class AlertState:
    fingerprint: str
    rule: str
    severity: Severity
    labels: Labels
    active: bool = False
    silenced: bool = False
    clear_runs: int = 0
    # The first cycle of the current run of clear results: `keep_firing_for` counts
    # from here (the last firing result came just before).
    cleared_at: dt.datetime | None = None
    notified_at: dt.datetime | None = None
    slack_ts: str | None = None
    slack_channel: str | None = None
    pending: Pending | None = None  # a message still owed
    # The event that made a message owed: with the kind, the message's identity in
    # Slack (its metadata), the same in every run until it is delivered.
    pending_key: str | None = None
    # A send failed: it may have landed anyway (a timeout), so look before re-sending.
    retrying: bool = False
    # The channel refused a message for good (notify_dropped): it is owed no more, and
    # tried again only after the rule's repeat_interval since `dropped_at`. While
    # `undelivered`, nobody was told the alert fires: that retry says "firing".
    dropped_at: dt.datetime | None = None
    undelivered: bool = False
    # The refusal was the channel's (not this message's): once any other message is
    # delivered, the channel works again and this one is owed at once.
    channel_refused: bool = False
    evidence: Evidence | None = None
    runs: frozenset[str] = field(default_factory=frozenset)
    # Acknowledged from Slack: no repeats until it resolves or a new label set of its
    # rule fires. Who and when, for the message and `silences`.
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    # A silence set from Slack: until when, and by whom. It outlives a resolution, as
    # an alerts.yaml silence does, and simply expires.
    silenced_until: dt.datetime | None = None
    silenced_by: str | None = None

    def slack_silenced(self, now: dt.datetime) -> bool:
        return self.silenced_until is not None and now < self.silenced_until


def group_findings(findings: Iterable[Finding], rules: Mapping[str, Rule]) -> list[Candidate]:
    """Findings → one candidate per (rule, group_by labels)."""
    groups: dict[tuple[str, Labels], list[Finding]] = {}
    for f in findings:
        rule = rules[f.rule]
        labels = tuple((k, f.observation.label(k)) for k in sorted(rule.group_by))
        groups.setdefault((f.rule, labels), []).append(f)
    out = []
    for (rule_name, labels), members in sorted(groups.items()):
        firing = [f for f in members if f.state == FIRING]
        rule = rules[rule_name]
        out.append(Candidate(rule_name, rule.severity, labels, bool(firing),
                             _evidence(firing) if firing else None))
    return out


def _evidence(firing: Sequence[Finding]) -> Evidence:
    best = max(firing, key=lambda f: (f.observation.sample_size, f.observation.label("game_date")))
    obs = best.observation
    dates = tuple(sorted({f.observation.label("game_date") for f in firing} - {""}))
    return Evidence(obs.metric, obs.value, obs.sample_size, obs.interval, obs.baseline,
                    best.threshold, best.reason, dates, obs.context)


def fold(events: Iterable[AlertEvent]) -> dict[str, AlertState]:
    """Current state of every alert, derived from its events.

    Events must come in the order they were written; the sort is stable, so
    events of one cycle (same event_time) keep that order."""
    states: dict[str, AlertState] = {}
    for e in sorted(events, key=lambda e: e.event_time):
        if e.rule in (INCIDENT_RULE, BLOCK_RULE):
            # Their own folds read these; an incident's message delivered still says
            # the channel takes messages again.
            if e.event_type == "notified":
                _channel_back(states, e)
            continue
        st = states.get(e.fingerprint) or AlertState(e.fingerprint, e.rule, e.severity, e.labels)
        st = replace(st, runs=st.runs | {e.run_id})
        kind = e.event_type
        if kind == "fired":
            refire = e.detail == "refire"
            if not st.active:
                # A new label set joins the rule's alerts: acknowledgements of the
                # others end, so they repeat again.
                for other_fp, other in states.items():
                    if other.rule == e.rule and other.acknowledged_by and other_fp != e.fingerprint:
                        states[other_fp] = replace(other, acknowledged_by=None,
                                                   acknowledged_at=None)
            st = replace(st, active=True, clear_runs=0, cleared_at=None,
                         evidence=e.evidence or st.evidence,
                         silenced=False if not refire else st.silenced,
                         pending=st.pending if refire else "firing",
                         pending_key=st.pending_key if refire else e.event_id,
                         retrying=st.retrying if refire else False,
                         slack_ts=st.slack_ts if refire else None,
                         dropped_at=st.dropped_at if refire else None,
                         undelivered=st.undelivered if refire else False,
                         channel_refused=st.channel_refused if refire else False)
        elif kind == "silenced":
            st = replace(st, silenced=True, pending=None)
        elif kind == "repeated":
            st = replace(st, pending="firing" if st.undelivered else "repeat",
                         evidence=e.evidence or st.evidence, pending_key=e.event_id,
                         retrying=False)
        elif kind == "clear":
            st = replace(st, clear_runs=st.clear_runs + 1,
                         cleared_at=st.cleared_at if st.clear_runs else e.event_time)
        elif kind == "resolved":
            announce = e.detail == "announce" and st.slack_ts is not None
            # A firing nobody was told about (Slack was down) is still owed: resolving
            # must not swallow it.
            owed: Pending | None = ("fired_resolved" if st.pending in ("firing", "fired_resolved")
                                    else None)
            pending: Pending | None = owed or ("resolved" if announce else None)
            st = replace(st, active=False, silenced=False, clear_runs=0, cleared_at=None,
                         pending=pending,
                         pending_key=e.event_id if pending else None, retrying=False,
                         acknowledged_by=None, acknowledged_at=None, dropped_at=None,
                         undelivered=False, channel_refused=False)
        elif kind == "notified":
            st = replace(st, pending=None, pending_key=None, retrying=False,
                         dropped_at=None, undelivered=False, channel_refused=False)
            _channel_back(states, e)
            if e.detail in ("firing", "repeat"):
                st = replace(st, notified_at=e.event_time, slack_ts=e.slack_ts,
                             slack_channel=e.slack_channel)
        elif kind == "notify_failed":
            st = replace(st, pending=as_pending(e.detail) or st.pending, retrying=True)
        elif kind == "notify_dropped":
            # Owed no more. A firing nobody heard of is retried after a repeat interval.
            dropped = (e.detail or "").partition(":")[0]
            st = replace(st, pending=None, pending_key=None, retrying=False,
                         dropped_at=e.event_time if st.active else None,
                         undelivered=st.active and (dropped == "firing" or st.undelivered),
                         channel_refused=st.active and not (e.detail or "").endswith(
                             THIS_MESSAGE_ONLY))
        elif kind == "acknowledged":
            st = replace(st, acknowledged_by=e.actor or "someone", acknowledged_at=e.event_time)
        elif kind == "silence":
            st = replace(st, silenced_until=parse_until(e.detail), silenced_by=e.actor,
                         silenced=st.silenced or st.active, pending=None if st.active
                         else st.pending)
        elif kind == "unsilence":
            st = replace(st, silenced_until=None, silenced_by=None)
        elif (kind == "opened" or kind == "reopened" or kind == "joined"
              or kind == "severity_raised" or kind == "inhibited" or kind == "uninhibited"
              or kind == "blocked" or kind == "unblocked"):
            pass  # the incident and block folds read these (== narrows the type; `in` not)
        else:
            assert_never(kind)
        states[e.fingerprint] = st
    return states


def _channel_back(states: dict[str, AlertState], e: AlertEvent) -> None:
    """The channel takes messages again: what it refused and still fires is owed."""
    for other_fp, other in states.items():
        if (other_fp != e.fingerprint and other.channel_refused and other.active
                and other.pending is None and not other.silenced):
            states[other_fp] = replace(
                other, pending="firing" if other.undelivered else "repeat",
                pending_key=f"{e.event_id}:{other_fp}", channel_refused=False)


def parse_until(text: str | None) -> dt.datetime | None:
    try:
        until = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None  # an unreadable expiry silences nothing
    return until if until.tzinfo else until.replace(tzinfo=dt.UTC)


def make_event(now: dt.datetime, run_id: str, kind: EventType, rule: str, severity: Severity,
               labels: Labels, *, evidence: Evidence | None = None, detail: str | None = None,
               slack_ts: str | None = None, slack_channel: str | None = None,
               actor: str | None = None) -> AlertEvent:
    fp = fingerprint(rule, labels)
    # Deterministic: the same run re-executed produces the same ids.
    key = f"{run_id}|{fp}|{kind}|{detail or ''}|{slack_ts or ''}"
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
    return AlertEvent(event_id, now, run_id, kind, rule, fp, severity, labels, evidence,
                      slack_ts, slack_channel, detail, actor)


def action_events(states: Sequence[AlertState], action: Action, *, now: dt.datetime,
                  run_id: str, actor: str, silence_for: dt.timedelta | None = None,
                  key: str | None = None) -> (
    list[AlertEvent]
):
    """Events for a person's action on the alerts one message lists: `acknowledged`
    (active alerts not already acknowledged), `silence` (until now + silence_for) or
    `unsilence` (alerts silenced from Slack). With `key` (what makes the action one: a
    Slack press's user, message and action time) each event's id derives from the key
    and the alert alone, so the same action replayed later has the same ids."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    events = []
    for st in states:
        detail = None
        if action == "acknowledged" and (not st.active or st.acknowledged_by):
            continue
        if action == "silence":
            detail = (now + (silence_for or dt.timedelta(hours=24))).isoformat()
        if action == "unsilence" and not st.slack_silenced(now):
            continue
        event = make_event(now, run_id, action, st.rule, st.severity, st.labels,
                           detail=detail, actor=actor)
        if key is not None:
            event = replace(event, event_id=str(uuid.uuid5(
                uuid.NAMESPACE_URL, f"action|{key}|{event.fingerprint}|{action}")))
        events.append(event)
    return events


def transition(states: Mapping[str, AlertState], candidates: Sequence[Candidate],
               rules: Mapping[str, Rule], evaluated_rules: set[str], now: dt.datetime,
               run_id: str) -> list[AlertEvent]:
    """New events for this run. Rules whose check errored are not in `evaluated_rules`
    and their alerts are left as they were: an error is not evidence of health."""
    events: list[AlertEvent] = []
    firing_now: set[str] = set()
    renamed = _renamed(states, candidates, rules, evaluated_rules, run_id)
    for cand in candidates:
        if not cand.firing or cand.rule not in evaluated_rules:
            continue
        fp = cand.fingerprint
        firing_now.add(fp)
        st = states.get(fp)
        if st is not None and run_id in st.runs:
            continue  # this run already acted on this alert
        if fp in renamed:
            old = renamed[fp]
            # The same alert under the identity its rule now gives it: it goes on firing,
            # told already, and the old identity ends without a word.
            events.append(make_event(now, run_id, "fired", cand.rule, cand.severity,
                                     cand.labels, evidence=cand.evidence,
                                     detail=f"{RENAMED}{old.fingerprint}"))
            if old.slack_ts:
                events.append(make_event(now, run_id, "notified", cand.rule, cand.severity,
                                         cand.labels, detail="firing", slack_ts=old.slack_ts,
                                         slack_channel=old.slack_channel))
            continue
        rule = rules[cand.rule]
        key = cause_key(cand.rule, dict(cand.labels), rule.incident_by,
                        dict(cand.evidence.context) if cand.evidence else None)
        silence = next((s.comment or "silenced" for s in rule.silences
                        if s.matches(dict(cand.labels), now, incident_key=key)), None)
        if silence is None and st is not None and st.slack_silenced(now):
            silence = f"silenced from Slack by {st.silenced_by or 'someone'}"

        def ev(kind: EventType, detail: str | None = None, c: Candidate = cand) -> AlertEvent:
            return make_event(now, run_id, kind, c.rule, c.severity, c.labels,
                              evidence=c.evidence, detail=detail)

        if st is None or not st.active:
            events.append(ev("fired"))
            if silence:
                events.append(ev("silenced", silence))
            continue
        if st.clear_runs:
            events.append(ev("fired", "refire"))
        if silence and not st.silenced:
            events.append(ev("silenced", silence))
        elif not silence and st.silenced:
            events.append(ev("fired", "unsilenced"))
        elif (not st.silenced and st.pending is None and not st.acknowledged_by
              and (last := st.dropped_at or st.notified_at) is not None
              and now - last >= rule.repeat_interval):
            # A reminder; or after a message the channel refused for good, one more try.
            events.append(ev("repeated"))
    olds = {old.fingerprint for old in renamed.values()}
    for fp, st in states.items():
        if (not st.active or fp in firing_now or st.rule not in evaluated_rules
                or st.rule not in rules or run_id in st.runs):
            continue
        rule = rules[st.rule]
        if fp in olds:
            events.append(make_event(now, run_id, "resolved", st.rule, st.severity, st.labels,
                                     evidence=st.evidence, detail=RENAMED.rstrip(" ")))
            continue
        events.append(make_event(now, run_id, "clear", st.rule, st.severity, st.labels))
        # keep_firing_for (wall time) rides over a gap in the evidence, e.g. one night's
        # grading: the alert resolves once that long has passed since its last firing
        # result and enough clear runs were seen.
        kept = rule.keep_firing_for is not None and (
            now - (st.cleared_at or now) < rule.keep_firing_for)
        if st.clear_runs + 1 >= rule.resolve.after_runs and not kept:
            detail = "announce" if rule.resolve.announce else "quiet"
            events.append(make_event(now, run_id, "resolved", st.rule, st.severity, st.labels,
                                     evidence=st.evidence, detail=detail))
    return events


def _renamed(states: Mapping[str, AlertState], candidates: Sequence[Candidate],
             rules: Mapping[str, Rule], evaluated: set[str],
             run_id: str) -> dict[str, AlertState]:
    """Firing candidates that continue an alert of an earlier release: its rule's
    `group_by` gained labels since (prediction_edge_collapsed gained the commit), so
    the open alert's labels are a strict subset of the candidate's, and agree. New
    fingerprint → the old alert's state. An upgrade neither resolves nor re-fires."""
    out: dict[str, AlertState] = {}
    for st in states.values():
        rule = rules.get(st.rule)
        if (rule is None or not st.active or st.rule not in evaluated or run_id in st.runs
                or not {k for k, _ in st.labels} < set(rule.group_by)):
            continue
        for cand in candidates:
            labels = dict(cand.labels)
            if (cand.rule == st.rule and cand.firing and cand.fingerprint not in states
                    and all(labels.get(k) == v for k, v in st.labels)):
                out.setdefault(cand.fingerprint, st)
    return out


def owed_notifications(states: Mapping[str, AlertState],
                       rules: Mapping[str, Rule]) -> list[AlertState]:
    """Alerts with a message still owed (new, repeat, resolution, or a failed earlier send)."""
    return [st for st in states.values()
            if st.pending is not None and st.rule in rules and not st.silenced]
