"""Delivering what the incidents owe, as named stages (Alertmanager's notify
pipeline): plan → look up an ambiguous earlier send → send → record → chart. The
incident fold (monitor/rules/incidents.py) decides what is owed; here it becomes
messages: a top-level post per incident, chat.update of it, replies and reminders in
its thread.

`plan` and `record` are pure; the others each do one side effect. `deliver` runs them
per message: the cycle lock is renewed before each message, and each outcome is
recorded right after its send, so a crash re-sends at most one message. A failure
the channel calls permanent (a missing channel, a revoked token, a message it will
never take) is recorded as `notify_dropped`: the message stops being owed, is counted
for the `monitor_notify_failed` metric and logged — never re-sent every run (the
incident fold decides when it is owed again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from monitor.config import MonitorConfig, Rule
from monitor.notify.base import ChartUploader, Delivery, MessageUpdater, Notifier
from monitor.notify.body import Fact, MessageBody
from monitor.notify.incident_message import incident_body, reminder_body, reply_body
from monitor.notify.message import short_time
from monitor.rules.incidents import (
    ChangeKind,
    Incident,
    IncidentOp,
    Member,
    MemberStatus,
    OpKind,
    incident_event,
)
from monitor.rules.lock import CycleLock
from monitor.rules.state import (
    THIS_MESSAGE_ONLY,
    AlertEvent,
    AlertState,
    EventType,
    make_event,
)
from monitor.rules.store import AlertStore
from monitor.warehouse.base import QueryRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedMessage:
    """One message about one incident: its top-level post, a chat.update of it, a
    reply or a reminder in its thread."""

    op: OpKind
    incident: Incident
    # The member alerts whose own owed message this one says: delivered, they are
    # owed no more (the alert fold's `pending`).
    alerts: tuple[AlertState, ...]
    thread_ts: str | None  # a reply in this thread; None: a message of its own
    body: MessageBody
    key: str = ""  # the same in every run until delivered (Slack message metadata)
    broadcast: bool = False  # a reply also shown in the channel (a severity rise)
    # Rules whose chart goes into the thread once this is delivered: each member rule
    # once, never with a reminder.
    charts: tuple[AlertState, ...] = ()

    @property
    def rule(self) -> str:
        """What the message is about, for logs and `run --dry-run`."""
        return f"incident #{self.incident.number} ({self.incident.key})"


@dataclass
class DeliveryReport:
    """What delivering one cycle's messages did, for the cycle's summary."""

    events: list[AlertEvent] = field(default_factory=list)
    sent: int = 0
    failed: int = 0  # kept owed: tried again next run
    dropped: int = 0  # refused for good: recorded, reported, not owed any more
    errors: list[str] = field(default_factory=list)
    chart_errors: list[str] = field(default_factory=list)
    lock_lost: bool = False


def _key(inc: Incident, *parts: str) -> str:
    identity = "|".join([inc.incident_id, *parts])
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


def plan(ops: Sequence[IncidentOp], alerts: Mapping[str, AlertState],
         rules: Mapping[str, Rule], *, threads: bool,
         provenance: Mapping[str, Mapping[str, str]],
         blocked: frozenset[str] = frozenset(), now: dt.datetime,
         runbook_base_url: str | None = None,
         report_url: str | None = None) -> list[PlannedMessage]:
    """The messages the incidents' ops call for (monitor/rules/incidents.py
    plan_incident_ops). Pure."""
    planned = []
    for op in ops:
        inc = op.incident
        members = [alerts[fp] for fp in inc.members if fp in alerts]
        owed = tuple(st for st in members if st.pending is not None)
        commit = inc.key.removeprefix("commit:") if inc.key.startswith("commit:") else ""
        thread = inc.slack_ts if threads else None
        if op.kind in ("post", "update"):
            hints = tuple(Fact(k, short_time(v))
                          for k, v in provenance.get(commit, {}).items() if v)
            body = incident_body(inc, alerts, rules, hints=hints,
                                 runbook_base_url=runbook_base_url,
                                 blocked=commit in blocked, now=now,
                                 report_url=report_url)
            if op.kind == "post":
                firing = _first_per_rule(m for m in inc.active_members()
                                         if m.status is MemberStatus.FIRING)
                planned.append(PlannedMessage(
                    "post", inc, owed, None, body, _key(inc, "post"),
                    charts=tuple(alerts[m.fingerprint] for m in firing
                                 if m.fingerprint in alerts)))
            else:
                planned.append(PlannedMessage("update", inc, (), inc.slack_ts, body))
        elif op.kind == "reply":
            body = reply_body(inc, op.changes, alerts, rules)
            stamp = ",".join(f"{c.at.isoformat()}/{c.kind}/{c.fingerprint}"
                             for c in op.changes)
            joined = _first_per_rule(
                inc.members[c.fingerprint] for c in op.changes
                if c.kind is ChangeKind.JOINED and c.fingerprint in inc.members
                and not _rule_seen_before(inc, c.rule, c.at))
            planned.append(PlannedMessage(
                "reply", inc, owed, thread, body, _key(inc, "reply", stamp),
                broadcast=op.broadcast and threads,
                charts=tuple(alerts[m.fingerprint] for m in joined
                             if m.fingerprint in alerts)))
        else:
            body = reminder_body(inc, alerts, rules, now)
            planned.append(PlannedMessage("reminder", inc, owed, thread, body,
                                          _key(inc, "reminder", now.isoformat())))
    return planned


def _first_per_rule(members: Iterable[Member]) -> list[Member]:
    seen: dict[str, Member] = {}
    for m in sorted(members, key=lambda m: (m.rule, m.labels)):
        seen.setdefault(m.rule, m)
    return list(seen.values())


def _rule_seen_before(inc: Incident, rule: str, at: dt.datetime) -> bool:
    """Another member of the same rule was in the incident before: its chart is in
    the thread already."""
    return any(m.rule == rule and m.first_fired < at for m in inc.members.values())


def look_up(notifier: Notifier, message: PlannedMessage) -> Delivery | None:
    """An earlier send of this message failed; a timeout may have posted it all the
    same. The delivery found in the channel, or None (send it)."""
    if not message.incident.retrying or message.op == "update":
        return None
    found = notifier.find(message.key, thread_ts=message.thread_ts)
    if found is not None:
        log.info("%s %s was delivered by an earlier run after all (found in the channel): "
                 "not sent again", message.rule, message.op, extra={"rule": message.rule})
    return found


def send(notifier: Notifier, message: PlannedMessage) -> Delivery:
    inc = message.incident
    if message.op == "update":
        if not isinstance(notifier, MessageUpdater) or not inc.slack_ts \
                or not inc.slack_channel:
            return Delivery(True, ts=inc.slack_ts, channel=inc.slack_channel)
        return notifier.replace(message.body, channel=inc.slack_channel, ts=inc.slack_ts)
    return notifier.send(message.body, thread_ts=message.thread_ts, key=message.key,
                         broadcast=message.broadcast)


def record(message: PlannedMessage, delivery: Delivery, *, as_of: dt.datetime,
           run_id: str) -> list[AlertEvent]:
    """The outcome for the incident (`notified` with the op as detail, `notify_failed`:
    still owed, `notify_dropped`: "op: error code", marked when only this message was
    refused), and for each member alert whose own message this one says, `notified`
    with the incident's thread."""
    inc = message.incident

    def incident(kind: EventType, detail: str, **where: str | None) -> AlertEvent:
        return incident_event(as_of, run_id, kind, inc.incident_id, inc.key, inc.severity,
                              detail=detail, **where)

    if delivery.ok:
        ts = delivery.ts if message.op == "post" else inc.slack_ts
        channel = delivery.channel if message.op == "post" else inc.slack_channel
        events = [incident("notified", message.op,
                           slack_ts=ts if message.op == "post" else None,
                           slack_channel=channel if message.op == "post" else None)]
        for st in message.alerts:
            events.append(replace(make_event(
                as_of, run_id, "notified", st.rule, st.severity, st.labels,
                detail=st.pending if st.pending != "fired_resolved" else "firing",
                slack_ts=ts, slack_channel=channel), incident_id=inc.incident_id,
                incident_key=inc.key))
        return events
    if delivery.retryable:
        return [incident("notify_failed", message.op)]
    detail = f"{message.op}: {delivery.code or 'refused'}"
    if delivery.this_message_only:
        detail += THIS_MESSAGE_ONLY
    return [incident("notify_dropped", detail)]


def chart(notifier: Notifier, warehouse: QueryRunner, config: MonitorConfig, rule: Rule,
          alert: AlertState, as_of: dt.datetime, channel: str,
          thread_ts: str) -> str | None:
    """A PNG of the metric into the incident's thread, when the channel takes files.
    Returns an error to report; never raises (the message is already delivered)."""
    if not isinstance(notifier, ChartUploader):
        return None
    try:
        from monitor.notify.chart import chart_threshold, metric_series, render_png

        labels = dict(alert.labels)
        title, points, change = metric_series(warehouse, config, rule, labels, as_of)
        if len(points) < 2:
            return None
        where = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        png = render_png(f"{title} — {where}", points, threshold=chart_threshold(rule),
                         marker=change)
    except Exception as exc:  # noqa: BLE001
        return f"chart for {rule.name} not drawn: {type(exc).__name__}: {exc}"
    result = notifier.upload_png(png, filename=f"{rule.name}.png",
                                 title=f"{rule.name}: {title}", channel=channel,
                                 thread_ts=thread_ts)
    return result if isinstance(result, str) else None


def deliver(messages: Sequence[PlannedMessage], *, notifier: Notifier, store: AlertStore,
            lock: CycleLock, warehouse: QueryRunner, config: MonitorConfig,
            rules: Mapping[str, Rule], as_of: dt.datetime, run_id: str) -> DeliveryReport:
    """Each planned message through the stages, in order."""
    report = DeliveryReport()
    threads: dict[str, tuple[str | None, str | None]] = {}  # posted in this cycle
    for message in messages:
        if not lock.renew():
            # Another cycle took the lease over: it sends what is still owed.
            log.warning("cycle lock lost: leaving the remaining messages owed")
            report.lock_lost = True
            break
        found = look_up(notifier, message)
        delivery = found or send(notifier, message)
        outcome = record(message, delivery, as_of=as_of, run_id=run_id)
        # Recorded per message, right after sending, so a crash re-sends at most one.
        store.append(outcome)
        report.events.extend(outcome)
        if not delivery.ok:
            _report_failure(report, message, delivery)
            continue
        if found is not None:
            continue
        report.sent += 1
        if message.op == "post":
            threads[message.incident.incident_id] = (delivery.channel, delivery.ts)
        channel, ts = threads.get(message.incident.incident_id,
                                  (message.incident.slack_channel, message.incident.slack_ts))
        if not (channel and ts and notifier.supports_threads):
            continue
        for alert in message.charts:
            error = chart(notifier, warehouse, config, rules[alert.rule], alert, as_of,
                          channel, ts)
            if error:
                report.chart_errors.append(error)
                log.warning("%s", error)
    return report


def _report_failure(report: DeliveryReport, message: PlannedMessage,
                    delivery: Delivery) -> None:
    error = delivery.error or "unknown error"
    report.errors.append(error)
    extra = {"rule": message.rule}
    if delivery.retryable:
        report.failed += 1
        log.warning("%s %s failed, kept pending: %s", message.rule, message.op, error,
                    extra=extra)
        return
    report.dropped += 1
    log.error("%s %s failed permanently, not retried every run: %s (fix the channel or "
              "the app's token; an unposted incident is posted again after "
              "incident.repeat_interval)", message.rule, message.op, error, extra=extra)
