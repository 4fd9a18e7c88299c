"""An incident → its messages (monitor/notify/body.py): the top-level message, posted
once and kept current with chat.update; one reply per cycle in which something
changed; a reminder per `incident.repeat_interval`. Pure, like message.py: the same
incident and alerts always give the same body.

The top-level message says in one line what is wrong (the commit, the systems whose
alerts fired, since when), lists each member with its numbers (at most
MAX_MEMBERS_SHOWN), the root-cause hints once, the runbooks and the buttons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from monitor.config import Rule
from monitor.notify.body import Action, AlertGroup, EvidenceRow, Fact, Link, MessageBody, Note
from monitor.notify.message import LABEL_NAMES, evidence_row, label_facts, short_time
from monitor.report.format import runbook_link

if TYPE_CHECKING:  # types only: notify sits below the rules
    from monitor.rules.incidents import Change, Incident, Member
    from monitor.rules.state import AlertState

MAX_MEMBERS_SHOWN = 10
# Member status words, as the fold writes them (monitor/rules/incidents.py MemberStatus).
FIRING, INHIBITED, RESOLVED = "firing", "inhibited", "resolved"
CHANGE_WORDS = {
    "joined": "joined", "inhibited": "is now a symptom (inhibited, not paged)",
    "uninhibited": "is no longer inhibited: its cause cleared",
    "refired": "fires again", "resolved": "resolved",
}


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _what(inc: Incident) -> str:
    """The cause, as people name it: the commit (short), else the key's labels."""
    if inc.key.startswith("commit:"):
        return f"commit {inc.key.removeprefix('commit:')[:12]}"
    if inc.key.startswith("rule:"):
        return inc.key.removeprefix("rule:")
    return inc.key.replace(",", ", ")


def _systems(members: Sequence[Member]) -> list[str]:
    return sorted({dict(m.labels).get("system_id", "") for m in members} - {""})


def _began(inc: Incident, alerts: Mapping[str, AlertState]) -> dt.datetime:
    """Since when: the first broken prediction the members' evidence names, else the
    first time one of them fired."""
    times = [m.first_fired for m in inc.members.values()] or [inc.opened_at]
    for m in inc.members.values():
        st = alerts.get(m.fingerprint)
        seen = dict(st.evidence.context).get("first_predicted_at", "") if (
            st is not None and st.evidence is not None) else ""
        try:
            moment = dt.datetime.fromisoformat(seen)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            times.append(moment)
    return min(times)


def lead(inc: Incident, since: dt.datetime | None = None) -> str:
    active = inc.active_members()
    # Critical rules first: "and N more" must never hide the one that pages.
    worst = {m.rule: -_rank(m.severity) for m in active if m.status.value == FIRING}
    rules = sorted(worst, key=lambda r: (worst[r], r))
    symptoms = sum(1 for m in active if m.status.value == INHIBITED)
    systems = _systems(active or list(inc.members.values()))
    on = f" on {', '.join(systems)}" if systems else ""
    since = since or min((m.first_fired for m in inc.members.values()),
                         default=inc.opened_at)
    if not inc.open and inc.resolved_at is not None:
        return (f"{_what(inc)}{on}: resolved at {_when(inc.resolved_at)}, every alert "
                f"clear (open since {_when(since)})")
    shown = ", ".join(rules[:3]) + (f" and {len(rules) - 3} more" if len(rules) > 3 else "")
    said = f"{shown} firing" if rules else "nothing pages on its own"
    if symptoms:
        said += f", {symptoms} symptom{'s' if symptoms != 1 else ''} inhibited"
    return f"{_what(inc)}{on}: {said}, since {_when(since)}"


def _member_rows(members: Sequence[Member], alerts: Mapping[str, AlertState],
                 rules: Mapping[str, Rule]) -> list[EvidenceRow]:
    rows = []
    for m in members:
        st = alerts.get(m.fingerprint)
        rule = rules.get(m.rule)
        if st is not None and rule is not None:
            # The commit's provenance is said once (the body's facts), not per row.
            rows.append(evidence_row(st, rule))
        else:
            rows.append(EvidenceRow(label_facts(m.labels)))
    return rows


def _groups(members: Sequence[Member], alerts: Mapping[str, AlertState],
            rules: Mapping[str, Rule], *, limit: int,
            runbook_base_url: str | None) -> tuple[AlertGroup, ...]:
    """One group per rule, firing rules first, then symptoms; at most `limit` rows in
    all, the rest counted in each group's "and N more"."""
    by_rule: dict[str, list[Member]] = {}
    order = sorted(members, key=lambda m: (m.status.value != FIRING,
                                           -_rank(m.severity), m.rule, m.labels))
    for m in order:
        by_rule.setdefault(m.rule, []).append(m)
    groups, shown = [], 0
    for rule_name, ms in by_rule.items():
        rule = rules.get(rule_name)
        take = max(0, min(len(ms), limit - shown))
        shown += take
        what = (rule.description or rule.metric) if rule else rule_name
        if ms[0].status.value == INHIBITED:
            cause = ms[0].inhibited_by or "its cause"
            what = f"{rule_name} — a symptom of {cause} (inhibited, not paged): {what}"
        else:
            what = f"{rule_name}: {what}"
        links: tuple[Link, ...] = ()
        if rule is not None and rule.runbook_url:
            text, url = runbook_link(rule.runbook_url, runbook_base_url)
            links = (Link(f"Runbook: {rule_name}", url, text),)
        groups.append(AlertGroup(rule_name, ms[0].severity, what, len(ms),
                                 tuple(_member_rows(ms[:take], alerts, rules)), links))
    return tuple(groups)


def _rank(severity: str) -> int:
    return 2 if severity == "critical" else 1


def incident_actions(inc: Incident, *, blocked: bool = False,
                     now: dt.datetime | None = None) -> tuple[Action, ...]:
    """The buttons of an open incident's message; they act on the whole incident
    (monitor/slack_app.py). An incident keyed by a commit offers to block it, with a
    confirmation, or to unblock it when `blocked` (monitor/rules/blocks.py)."""
    from monitor.notify.body import block_question

    if not inc.open:
        return ()
    value = f"incident:{inc.incident_id}"
    # What makes sense now: no Acknowledge once acknowledged, Unsilence while silenced.
    silenced = now is not None and inc.silenced(now)
    buttons = tuple(Action(a, value) for a in (
        () if inc.acknowledged_by or silenced else ("acknowledge",))) + (
        Action("unsilence" if silenced else "silence_24h", value),)
    if not inc.key.startswith("commit:"):
        return buttons
    if blocked:
        return (*buttons, Action("unblock_commit", value))
    commit = inc.key.removeprefix("commit:")
    return (*buttons, Action("block_commit", value, confirm=block_question(commit)))


def incident_body(inc: Incident, alerts: Mapping[str, AlertState],
                  rules: Mapping[str, Rule], *, hints: Sequence[Fact] = (),
                  runbook_base_url: str | None = None, blocked: bool = False,
                  now: dt.datetime | None = None,
                  report_url: str | None = None) -> MessageBody:
    """The top-level message (first post and every chat.update): what people did
    (acknowledged, silenced, blocked) stays on it."""
    active = inc.active_members()
    resolved = [m for m in inc.members.values() if m.status.value == RESOLVED]
    state = "resolved" if not inc.open else "open"
    title = f"{inc.severity.upper()} #{inc.number}: {_what(inc)} ({state})"
    notes: list[Note] = []
    if resolved and inc.open:
        names = ", ".join(sorted({m.rule for m in resolved}))
        notes.append(Note(f"Resolved members: {names}", "resolved"))
    if inc.acknowledged_by:
        notes.append(Note(f"Acknowledged by {inc.acknowledged_by}"
                          + (f" at {_when(inc.acknowledged_at)}" if inc.acknowledged_at
                             else "") + ": no reminders until it resolves or worsens"))
    if now is not None and inc.silenced(now) and inc.silenced_until is not None:
        notes.append(Note(f"Silenced by {inc.silenced_by or 'someone'} until "
                          f"{_when(inc.silenced_until)}"))
    if blocked and inc.key.startswith("commit:"):
        notes.append(Note("This commit is blocked: check-batch, check-deployment and the "
                          "gate refuse its batches (`blocks` says by whom and why)"))
    last = max((m.changed_at for m in inc.members.values()), default=inc.opened_at)
    if inc.resolved_at is not None:
        last = max(last, inc.resolved_at)
    notes.append(Note(f"Incident #{inc.number} · opened {_when(inc.opened_at)} · last "
                      f"change {_when(last)}", "resolved" if not inc.open else "info"))
    groups = _groups(active or list(inc.members.values()), alerts, rules,
                     limit=MAX_MEMBERS_SHOWN, runbook_base_url=runbook_base_url)
    text = lead(inc, _began(inc, alerts))
    return MessageBody("incident", title, inc.severity, f"{title}: {text}", groups,
                       tuple(notes), incident_actions(inc, blocked=blocked, now=now), lead=text,
                       facts=tuple(hints),
                       links=(Link(f"Report (incident #{inc.number})", report_url),)
                       if report_url else ())


def reply_body(inc: Incident, changes: Sequence[Change], alerts: Mapping[str, AlertState],
               rules: Mapping[str, Rule]) -> MessageBody:
    """Everything decided about the incident in one cycle, as one reply in its thread:
    members joining (with their numbers), resolving, inhibited or not, a severity rise,
    the incident reopening or resolving."""
    lines: list[Note] = []
    joined = []
    for c in changes:
        kind = c.kind.value
        if kind == "incident_resolved":
            lines.append(Note(f"Incident #{inc.number} resolved: every alert is clear.",
                              "resolved"))
        elif kind == "reopened":
            lines.append(Note(f"Incident #{inc.number} reopened: {_what(inc)} fires again "
                              "within the reopen window."))
        elif kind == "severity_raised":
            lines.append(Note(f"Severity raised to {inc.severity.upper()}."))
        else:
            m = inc.members.get(c.fingerprint)
            where = _where(m.labels) if m else ""
            word = CHANGE_WORDS.get(kind, kind)
            lines.append(Note(f"{c.rule}{where} {word}",
                              "resolved" if kind == "resolved" else "info"))
            if kind in ("joined", "refired") and m is not None:
                joined.append(m)
    groups = _groups(joined, alerts, rules, limit=MAX_MEMBERS_SHOWN, runbook_base_url=None)
    title = f"#{inc.number} {_what(inc)}: {len(changes)} change{'s' if len(changes) != 1 else ''}"
    kinds = {c.kind.value for c in changes}
    if "incident_resolved" in kinds:
        head = f"Resolved: #{inc.number} {_what(inc)}"
    elif "severity_raised" in kinds:
        head = f"{inc.severity.upper()} now: #{inc.number} {_what(inc)}"
    elif "reopened" in kinds:
        head = f"Reopened: #{inc.number} {_what(inc)}"
    else:
        head = f"#{inc.number}: " + "; ".join(n.text for n in lines[:3])
    return MessageBody("reply", title, inc.severity, head, groups, tuple(lines))


def reminder_body(inc: Incident, alerts: Mapping[str, AlertState],
                  rules: Mapping[str, Rule], now: dt.datetime) -> MessageBody:
    firing = [m for m in inc.active_members() if m.status.value == FIRING]
    hours = (now - inc.opened_at).total_seconds() / 3600
    age = f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} h"
    names = sorted({m.rule for m in firing})
    which = f" ({', '.join(names[:3])}{' …' if len(names) > 3 else ''})" if names else ""
    title = f"Still firing: #{inc.number} {_what(inc)}{which}, open {age}"
    groups = _groups(firing, alerts, rules, limit=MAX_MEMBERS_SHOWN, runbook_base_url=None)
    value = f"incident:{inc.incident_id}"
    return MessageBody("reminder", title, inc.severity, title, groups,
                       (Note("Acknowledge it to stop these reminders."),),
                       (Action("acknowledge", value), Action("silence_24h", value)))


def _where(labels: Sequence[tuple[str, str]]) -> str:
    shown = [f"{LABEL_NAMES.get(k, k)} {short_time(v)}" for k, v in labels
             if k != "build_commit_sha"]
    return f" ({', '.join(shown)})" if shown else ""
