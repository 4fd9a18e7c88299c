"""Incidents: the alerts of one cause, folded into one thing a person is paged about.

An incident is a set of member alerts with one cause key: the commit that produced the
predictions (`commit:<sha>`), or, for alerts without a real commit (coverage,
freshness, the system-wide series), the rule's `incident_by` labels (default
`system_id`), else the rule's name (`monitor.rules.state.cause_key`, which alert
silences match too). Pure, like `monitor.rules.state`: the incident
events live in the same append-only log (rule `incident`, fingerprint the incident's
id), member changes are the alerts' own events stamped with the incident's id, and
everything here is a fold over those events or a decision from plain values. No I/O,
no clock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

from monitor.config import IncidentSettings
from monitor.matchers import InhibitRule
from monitor.model import Labels, Severity
from monitor.rules.inhibit import Firing, inhibited_by
from monitor.rules.state import (
    INCIDENT_RULE,
    RENAMED,
    THIS_MESSAGE_ONLY,
    AlertEvent,
    AlertState,
    EventType,
    make_event,
    parse_until,
)

SEVERITY_RANK = {"warning": 1, "critical": 2}
COMMIT_KEY = "commit:"


class MemberStatus(StrEnum):
    FIRING = "firing"
    INHIBITED = "inhibited"
    RESOLVED = "resolved"


class ChangeKind(StrEnum):
    JOINED = "joined"
    INHIBITED = "inhibited"
    UNINHIBITED = "uninhibited"
    REFIRED = "refired"
    RESOLVED = "resolved"  # a member
    REOPENED = "reopened"  # the incident
    SEVERITY = "severity_raised"
    CLOSED = "incident_resolved"


@dataclass(frozen=True)
class Member:
    fingerprint: str
    rule: str
    severity: Severity
    labels: Labels
    status: MemberStatus
    first_fired: dt.datetime
    changed_at: dt.datetime
    inhibited_by: str | None = None  # the rule of the source, while inhibited


@dataclass(frozen=True)
class Change:
    """One thing a reply in the incident's thread says."""

    at: dt.datetime
    kind: ChangeKind
    rule: str = ""
    fingerprint: str = ""
    announce: bool = True


@dataclass(frozen=True)
class Incident:
    incident_id: str
    key: str
    number: int
    severity: Severity
    opened_at: dt.datetime
    members: Mapping[str, Member] = field(default_factory=dict)
    resolved_at: dt.datetime | None = None
    reopened_at: dt.datetime | None = None
    # The top-level message; posted_at None: still owed.
    slack_ts: str | None = None
    slack_channel: str | None = None
    posted_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None  # the reminder clock: last post or reminder
    unannounced: tuple[Change, ...] = ()  # what the next reply says
    needs_update: bool = False  # the top-level message no longer says what is true
    raised: bool = False  # a severity rise still to be broadcast
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    silenced_until: dt.datetime | None = None
    silenced_by: str | None = None
    # A send failed: it may have landed anyway (a timeout), so look before re-sending.
    retrying: bool = False
    # The channel refused the top-level post for good: not re-sent every run; owed
    # again after `repeat_interval`, or once the channel takes another message (unless
    # only this message was refused).
    dropped_at: dt.datetime | None = None
    dropped_alone: bool = False

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def active_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.status is not MemberStatus.RESOLVED]

    def silenced(self, now: dt.datetime) -> bool:
        return self.silenced_until is not None and now < self.silenced_until


def open_by_severity(incidents: Iterable[Incident]) -> dict[str, int]:
    """How many incidents are open, by severity (every severity, zero included)."""
    counts = dict.fromkeys(SEVERITY_RANK, 0)
    for inc in incidents:
        if inc.open and inc.members:
            counts[inc.severity] = counts.get(inc.severity, 0) + 1
    return counts


def renamed_keys(incidents: Mapping[str, Incident],
                 new_events: Iterable[AlertEvent]) -> dict[str, str]:
    """An alert renamed by an upgrade stays in the open incident of its old identity
    (fingerprint → that incident's key), so the upgrade moves nothing in Slack."""
    home = {fp: inc.key for inc in incidents.values() if inc.open for fp in inc.members}
    out = {}
    for e in new_events:
        old = (e.detail or "").removeprefix(RENAMED)
        if e.event_type == "fired" and (e.detail or "").startswith(RENAMED) and old in home:
            out[e.fingerprint] = home[old]
    return out


def incident_id_for(key: str, first_event_id: str) -> str:
    """Derived, so run, --dry-run, backtest and serve give an incident the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"incident|{key}|{first_event_id}"))


def higher(a: Severity, b: Severity) -> Severity:
    return a if SEVERITY_RANK.get(a, 0) >= SEVERITY_RANK.get(b, 0) else b


def fold_incidents(events: Iterable[AlertEvent],
                   start: Mapping[str, Incident] | None = None) -> dict[str, Incident]:
    """Every incident the log knows, by id, continuing from `start` when given. Events
    come in the order they were written (the sort is stable)."""
    out: dict[str, Incident] = dict(start or {})
    for e in sorted(events, key=lambda e: e.event_time):
        if e.incident_id is None:
            continue
        inc = out.get(e.incident_id)
        if e.rule == INCIDENT_RULE:
            inc = _incident_event(inc, e)
        elif inc is not None:
            inc = _member_event(inc, e)
        if inc is not None:
            out[e.incident_id] = inc
        if e.rule == INCIDENT_RULE and e.event_type == "notified":
            # The channel takes messages again: a post it refused for good is owed.
            for other_id, other in out.items():
                if other_id != e.incident_id and other.dropped_at and not other.dropped_alone:
                    out[other_id] = replace(other, dropped_at=None)
    return out


def _incident_event(inc: Incident | None, e: AlertEvent) -> Incident | None:
    t, kind = e.event_time, e.event_type
    if kind == "opened":
        number = int(e.detail) if e.detail and e.detail.isdigit() else 0
        return Incident(e.fingerprint, e.incident_key or "", number, e.severity, t)
    if inc is None:
        return None
    if kind == "reopened":
        return replace(inc, resolved_at=None, reopened_at=t, needs_update=True,
                       acknowledged_by=None, acknowledged_at=None,
                       unannounced=(*inc.unannounced, Change(t, ChangeKind.REOPENED)))
    if kind == "severity_raised":
        return replace(inc, severity=e.severity, raised=True, needs_update=True,
                       acknowledged_by=None, acknowledged_at=None,
                       unannounced=(*inc.unannounced, Change(t, ChangeKind.SEVERITY)))
    if kind == "resolved":
        return replace(inc, resolved_at=t, needs_update=True,
                       unannounced=(*inc.unannounced, Change(t, ChangeKind.CLOSED)))
    if kind == "notified":
        return _delivered(inc, e)
    if kind == "acknowledged":
        return replace(inc, acknowledged_by=e.actor or "someone", acknowledged_at=t)
    if kind == "silence":
        return replace(inc, silenced_until=parse_until(e.detail), silenced_by=e.actor)
    if kind == "unsilence":
        return replace(inc, silenced_until=None, silenced_by=None)
    if kind == "notify_failed":
        return replace(inc, retrying=True)  # what is owed stays owed
    if kind == "notify_dropped":
        # Refused for good ("kind: error code"): a reply, reminder or update is owed no
        # more; the post waits for repeat_interval.
        what = (e.detail or "").partition(":")[0]
        if what == "post":
            return replace(inc, dropped_at=t, retrying=False,
                           dropped_alone=(e.detail or "").endswith(THIS_MESSAGE_ONLY))
        return replace(_delivered(inc, replace(e, detail=what)), retrying=False)
    return inc


def _delivered(inc: Incident, e: AlertEvent) -> Incident:
    t, what = e.event_time, e.detail
    inc = replace(inc, retrying=False, dropped_at=None)
    if what == "post":
        # The post says everything so far, including a rise.
        return replace(inc, slack_ts=e.slack_ts, slack_channel=e.slack_channel, posted_at=t,
                       reminded_at=t, unannounced=(), needs_update=False, raised=False)
    if what == "reply":
        return replace(inc, unannounced=(), raised=False)
    if what == "update":
        # Changes nobody is told about in a reply (resolve.announce: false) are told by
        # the update alone.
        return replace(inc, needs_update=False,
                       unannounced=tuple(c for c in inc.unannounced if c.announce))
    if what == "reminder":
        return replace(inc, reminded_at=t)
    return inc


def _member_event(inc: Incident, e: AlertEvent) -> Incident:
    t, kind, fp = e.event_time, e.event_type, e.fingerprint
    member = inc.members.get(fp)
    change: Change | None = None
    if kind in ("fired", "joined"):
        if member is None:
            member = Member(fp, e.rule, e.severity, e.labels, MemberStatus.FIRING, t, t)
            # An alert renamed by an upgrade is not news: only the update shows it.
            change = Change(t, ChangeKind.JOINED, e.rule, fp,
                            announce=not (e.detail or "").startswith(RENAMED))
        elif member.status is MemberStatus.RESOLVED:
            member = replace(member, status=MemberStatus.FIRING, changed_at=t)
            change = Change(t, ChangeKind.REFIRED, e.rule, fp)
    elif member is None:
        return inc
    elif kind == "inhibited" and member.status is MemberStatus.FIRING:
        member = replace(member, status=MemberStatus.INHIBITED, changed_at=t,
                         inhibited_by=e.detail)
        change = Change(t, ChangeKind.INHIBITED, e.rule, fp)
    elif kind == "uninhibited" and member.status is MemberStatus.INHIBITED:
        member = replace(member, status=MemberStatus.FIRING, changed_at=t, inhibited_by=None)
        change = Change(t, ChangeKind.UNINHIBITED, e.rule, fp)
    elif kind == "resolved" and member.status is not MemberStatus.RESOLVED:
        member = replace(member, status=MemberStatus.RESOLVED, changed_at=t, inhibited_by=None)
        change = Change(t, ChangeKind.RESOLVED, e.rule, fp,
                        announce=e.detail not in ("quiet", RENAMED.rstrip(" ")))
    if change is None:
        return inc
    return replace(inc, members={**inc.members, fp: member}, needs_update=True,
                   unannounced=(*inc.unannounced, change))


def incident_event(now: dt.datetime, run_id: str, kind: EventType, inc_id: str, key: str,
                   severity: Severity, *, detail: str | None = None, slack_ts: str | None = None,
                   slack_channel: str | None = None, actor: str | None = None) -> AlertEvent:
    event = make_event(now, run_id, kind, INCIDENT_RULE, severity, (("incident_key", key),),
                       detail=detail, slack_ts=slack_ts, slack_channel=slack_channel,
                       actor=actor)
    # The fingerprint of an incident's own events is its id (make_event hashes labels).
    ident = f"{run_id}|{inc_id}|{kind}|{detail or ''}|{slack_ts or ''}|{actor or ''}"
    return replace(event, event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, ident)),
                   fingerprint=inc_id, incident_id=inc_id, incident_key=key)


def assign(incidents: Mapping[str, Incident], alerts: Mapping[str, AlertState],
           new_events: Sequence[AlertEvent], *, keys: Mapping[str, str],
           inhibit_rules: Sequence[InhibitRule], settings: IncidentSettings,
           now: dt.datetime, run_id: str) -> list[AlertEvent]:
    """This cycle's alert events stamped with their incident, followed by the events
    they cause: incidents opened or reopened, members inhibited or no longer, severity
    raised, incidents resolved.

    `alerts`: the alert states after this cycle's alert events; `keys`: each alert's
    cause key (fingerprint → key). An alert active before incidents existed (an
    upgrade) joins with a `joined` event carrying its Slack message, so nothing is
    re-posted and no history is rewritten."""
    members_of = {fp: inc_id for inc_id, inc in incidents.items() for fp in inc.members}
    open_by_key = {inc.key: inc for inc in incidents.values() if inc.open}
    working = dict(incidents)
    # Written in this order, so a fold of the log meets an incident before its members:
    # opened/reopened, then the members' events, then what they caused.
    opening: list[AlertEvent] = []
    stamped: list[AlertEvent] = []
    caused: list[AlertEvent] = []
    next_number = max((i.number for i in incidents.values()), default=0) + 1
    fired_now = {e.fingerprint for e in new_events if e.event_type == "fired"}
    # An incident opened by several alerts at once starts at the highest severity.
    opening_severity: dict[str, Severity] = {}
    for fp, st in alerts.items():
        if st.active and fp in keys:
            key = keys[fp]
            opening_severity[key] = higher(opening_severity.get(key, st.severity), st.severity)

    # The system-wide series (build_commit_sha "all") of a system served by a commit
    # with an open incident includes that commit's rows: its alerts join that incident.
    system_home: dict[str, str] = {}
    for inc in sorted(incidents.values(), key=lambda i: i.opened_at):
        if inc.open and inc.key.startswith(COMMIT_KEY):
            for m in inc.active_members():
                if dict(m.labels).get("system_id"):
                    system_home[dict(m.labels)["system_id"]] = inc.incident_id

    def labels_of(fp: str) -> dict[str, str]:
        return dict(alerts[fp].labels) if fp in alerts else {}

    def home(fp: str, first_event_id: str) -> Incident:
        nonlocal next_number
        key = keys[fp]
        inc = open_by_key.get(key)
        system = labels_of(fp).get("system_id", "")
        if inc is None and labels_of(fp).get("build_commit_sha") == "all" \
                and system in system_home:
            return working[system_home[system]]
        if inc is not None:
            return inc
        recent = [i for i in working.values() if i.key == key and i.resolved_at is not None
                  and now - i.resolved_at <= settings.reopen_within]
        if recent:
            inc = replace(max(recent, key=lambda i: i.resolved_at or now), resolved_at=None)
            opening.append(incident_event(now, run_id, "reopened", inc.incident_id, key,
                                          inc.severity))
        else:
            inc = Incident(incident_id_for(key, first_event_id), key, next_number,
                           opening_severity.get(key, "warning"), now)
            opening.append(incident_event(now, run_id, "opened", inc.incident_id, key,
                                          inc.severity, detail=str(next_number)))
            next_number += 1
        open_by_key[key] = working[inc.incident_id] = inc
        return inc

    def settle(fp: str, first_event_id: str) -> Incident:
        inc = home(fp, first_event_id)
        system = labels_of(fp).get("system_id", "")
        if inc.key.startswith(COMMIT_KEY) and system:
            system_home[system] = inc.incident_id
        return inc

    # Alerts naming a commit find their incident first, so the system-wide series of
    # the same cycle can join it.
    by_commit_first = sorted(new_events, key=lambda e: not keys.get(
        e.fingerprint, "").startswith(COMMIT_KEY))
    for e in by_commit_first:
        inc_id = members_of.get(e.fingerprint)
        if e.event_type == "fired" and e.fingerprint in keys and (
                inc_id is None or not working[inc_id].open):
            members_of[e.fingerprint] = settle(e.fingerprint, e.event_id).incident_id
    for e in new_events:
        inc_id = members_of.get(e.fingerprint)
        stamped.append(_stamp(e, working[inc_id]) if inc_id is not None else e)
    for fp, st in sorted(alerts.items()):
        if not st.active or fp in fired_now or fp not in keys:
            continue
        inc_id = members_of.get(fp)
        if inc_id is not None and working[inc_id].open:
            continue
        inc = settle(fp, f"adopted|{fp}")
        members_of[fp] = inc.incident_id
        stamped.append(_stamp(make_event(now, run_id, "joined", st.rule, st.severity,
                                         st.labels, evidence=st.evidence, detail="adopted",
                                         slack_ts=st.slack_ts,
                                         slack_channel=st.slack_channel), inc))
    # An incident made only of alerts a release before incidents already posted about
    # adopts the earliest one's message as its own: its thread goes on, nothing is
    # re-posted.
    adopted: dict[str, list[AlertState]] = {}
    for e in stamped:
        if e.incident_id and ((e.event_type == "joined" and e.detail == "adopted") or (
                e.event_type == "fired" and (e.detail or "").startswith(RENAMED))):
            adopted.setdefault(e.incident_id, []).append(alerts[e.fingerprint])
    for e in opening:
        posted = [st for st in adopted.get(e.incident_id or "", []) if st.slack_ts]
        if e.event_type == "opened" and posted:
            first = min(posted, key=lambda st: (st.notified_at or now, st.fingerprint))
            caused.append(incident_event(now, run_id, "notified", e.fingerprint,
                                         e.incident_key or "", e.severity, detail="post",
                                         slack_ts=first.slack_ts,
                                         slack_channel=first.slack_channel))
    # Judge inhibition, severity and resolution on the incidents as they now stand.
    after = fold_incidents([*opening, *stamped, *caused], start=incidents)
    for inc_id in sorted(after):
        if after[inc_id].open:
            stamped.extend(_inhibition(after[inc_id], alerts, inhibit_rules, now, run_id))
    after = fold_incidents([*opening, *stamped, *caused], start=incidents)
    opened_now = {e.incident_id for e in opening if e.event_type == "opened"}
    for inc_id in sorted(after):
        inc = after[inc_id]
        top = inc.severity
        for m in inc.members.values():
            top = higher(top, m.severity)
        if top != inc.severity and inc_id not in opened_now:
            caused.append(incident_event(now, run_id, "severity_raised", inc_id, inc.key, top))
        if inc.open and inc.members and not inc.active_members():
            caused.append(incident_event(now, run_id, "resolved", inc_id, inc.key, top))
    return [*opening, *stamped, *caused]


def _stamp(e: AlertEvent, inc: Incident) -> AlertEvent:
    return replace(e, incident_id=inc.incident_id, incident_key=inc.key)


def _inhibition(inc: Incident, alerts: Mapping[str, AlertState],
                inhibit_rules: Sequence[InhibitRule], now: dt.datetime,
                run_id: str) -> list[AlertEvent]:
    """A member is inhibited while a source of the same incident fires (silenced or
    not), and stops being so when none does."""
    active = [m for m in inc.active_members()
              if m.fingerprint in alerts and alerts[m.fingerprint].active]
    verdict = inhibited_by([Firing(m.fingerprint, m.rule, m.severity, m.labels)
                            for m in active], inhibit_rules)
    rule_of = {m.fingerprint: m.rule for m in active}
    events = []
    for m in active:
        source = verdict.get(m.fingerprint)
        if source is not None and m.status is MemberStatus.FIRING:
            events.append(_stamp(make_event(now, run_id, "inhibited", m.rule, m.severity,
                                            m.labels, detail=rule_of[source]), inc))
        elif source is None and m.status is MemberStatus.INHIBITED:
            events.append(_stamp(make_event(now, run_id, "uninhibited", m.rule, m.severity,
                                            m.labels), inc))
    return events


OpKind = Literal["post", "update", "reply", "reminder"]


@dataclass(frozen=True)
class IncidentOp:
    """One thing to send about an incident this cycle."""

    kind: OpKind
    incident: Incident
    changes: tuple[Change, ...] = ()
    # A severity rise: the reply is broadcast to the channel too, so a critical never
    # hides inside a warning's thread.
    broadcast: bool = False


def plan_incident_ops(incidents: Mapping[str, Incident], alerts: Mapping[str, AlertState], *,
                      now: dt.datetime, settings: IncidentSettings,
                      threads: bool) -> list[IncidentOp]:
    """What is owed per incident: the top-level post (once), one reply for every change
    decided since the last one, an update of the top-level message, a reminder per
    `repeat_interval` until it resolves or someone acknowledges it. A channel without
    threads (a webhook) gets the post, the replies and the reminders as messages of
    their own, and no updates."""
    ops: list[IncidentOp] = []
    for inc in sorted(incidents.values(), key=lambda i: (i.number, i.incident_id)):
        silenced = inc.silenced(now)
        if inc.posted_at is None:
            if silenced or (inc.dropped_at is not None
                            and now - inc.dropped_at < settings.repeat_interval):
                continue
            pageable = [m for m in inc.active_members() if m.status is MemberStatus.FIRING
                        and not (m.fingerprint in alerts and alerts[m.fingerprint].silenced)]
            # Resolved before anybody was told (the channel was down): one post says both.
            if pageable or (not inc.open and inc.unannounced):
                ops.append(IncidentOp("post", inc))
            continue
        told = tuple(c for c in inc.unannounced if c.announce)
        replied = bool(told) and not (silenced and inc.open)
        if replied:
            ops.append(IncidentOp("reply", inc, told, broadcast=inc.raised))
        if threads and inc.needs_update:
            ops.append(IncidentOp("update", inc))
        if (not replied and inc.open and not silenced and inc.acknowledged_by is None
                and inc.reminded_at is not None
                and now - inc.reminded_at >= settings.repeat_interval):
            ops.append(IncidentOp("reminder", inc))
    return ops
