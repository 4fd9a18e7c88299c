"""Delivering what the alert state owes, as named stages (Alertmanager's notify
pipeline): plan → look up an ambiguous earlier send → send → record → chart.

`plan` and `record` are pure; the others each do one side effect. `deliver` runs them
per message: the cycle lock is renewed before each message, and each outcome is
recorded right after its send, so a crash re-sends at most one message. A failure
the channel calls permanent (a missing channel, a revoked token, a message it will
never take) is recorded as `notify_dropped`: the message stops being owed, is counted
for the `monitor_notify_failed` metric and logged — never re-sent every run (the fold
in monitor/rules/state.py decides when it is owed again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from monitor.config import MonitorConfig, Rule
from monitor.notify.base import ChartUploader, Delivery, Notifier
from monitor.notify.body import Kind, MessageBody
from monitor.notify.message import alert_body, resolved_body
from monitor.rules.lock import CycleLock
from monitor.rules.state import THIS_MESSAGE_ONLY, AlertEvent, AlertState, make_event
from monitor.rules.store import AlertStore
from monitor.warehouse.base import QueryRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedMessage:
    rule: str
    kind: Kind
    alerts: tuple[AlertState, ...]
    thread_ts: str | None  # a reply in this thread; None: a message of its own
    body: MessageBody
    key: str = ""  # the same in every run until delivered (Slack message metadata)


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


def plan(owed: Sequence[AlertState], rules: Mapping[str, Rule], *, threads: bool,
         provenance: Mapping[str, Mapping[str, str]],
         runbook_base_url: str | None = None) -> list[PlannedMessage]:
    """One message per rule and kind; resolutions go to each alert's own thread."""
    groups: dict[tuple[str, Kind, str | None], list[AlertState]] = {}
    for st in sorted(owed, key=lambda s: (s.rule, s.labels)):
        kind: Kind = st.pending or "firing"
        thread = st.slack_ts if kind == "resolved" and threads else None
        groups.setdefault((st.rule, kind, thread), []).append(st)
    planned = []
    for (rule_name, kind, thread), alerts in groups.items():
        if kind == "fired_resolved":
            log.info("%s fired and resolved while its message was owed (Slack unreachable): "
                     "one message says both", rule_name, extra={"rule": rule_name})
        rule = rules[rule_name]
        body = (resolved_body(rule, alerts) if kind == "resolved"
                else alert_body(rule, alerts, kind=kind, provenance=provenance,
                                runbook_base_url=runbook_base_url))
        identity = "|".join([kind, *sorted(a.pending_key or a.fingerprint for a in alerts)])
        key = hashlib.sha256(identity.encode()).hexdigest()[:24]
        planned.append(PlannedMessage(rule_name, kind, tuple(alerts), thread, body, key))
    return planned


def look_up(notifier: Notifier, message: PlannedMessage) -> Delivery | None:
    """An earlier send of this message failed; a timeout may have posted it all the
    same. The delivery found in the channel, or None (send it)."""
    if not any(st.retrying for st in message.alerts):
        return None
    found = notifier.find(message.key, thread_ts=message.thread_ts)
    if found is not None:
        log.info("%s %s was delivered by an earlier run after all (found in the channel): "
                 "not sent again", message.rule, message.kind, extra={"rule": message.rule})
    return found


def send(notifier: Notifier, message: PlannedMessage) -> Delivery:
    return notifier.send(message.body, thread_ts=message.thread_ts, key=message.key)


def record(message: PlannedMessage, delivery: Delivery, *, as_of: dt.datetime,
           run_id: str) -> list[AlertEvent]:
    """The outcome for each alert the message lists: `notified`, `notify_failed` (still
    owed) or `notify_dropped` (detail: the kind and the channel's error code, marked
    when only this message was refused)."""
    if delivery.ok:
        return [make_event(as_of, run_id, "notified", st.rule, st.severity, st.labels,
                           detail=message.kind, slack_ts=delivery.ts,
                           slack_channel=delivery.channel) for st in message.alerts]
    if delivery.retryable:
        return [make_event(as_of, run_id, "notify_failed", st.rule, st.severity, st.labels,
                           detail=message.kind) for st in message.alerts]
    detail = f"{message.kind}: {delivery.code or 'refused'}"
    if delivery.this_message_only:
        detail += THIS_MESSAGE_ONLY
    return [make_event(as_of, run_id, "notify_dropped", st.rule, st.severity, st.labels,
                       detail=detail) for st in message.alerts]


def chart(notifier: Notifier, warehouse: QueryRunner, config: MonitorConfig, rule: Rule,
          message: PlannedMessage, as_of: dt.datetime, channel: str,
          thread_ts: str) -> str | None:
    """A PNG of the metric into the alert's thread, when the channel takes files.
    Returns an error to report; never raises (the alert is already delivered)."""
    if not isinstance(notifier, ChartUploader):
        return None
    try:
        from monitor.notify.chart import chart_threshold, metric_series, render_png

        labels = dict(message.alerts[0].labels)
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
        if message.kind in ("firing", "repeat") and delivery.ts and delivery.channel:
            error = chart(notifier, warehouse, config, rules[message.rule], message, as_of,
                          delivery.channel, delivery.ts)
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
        log.warning("notification for %s failed, kept pending: %s", message.rule, error,
                    extra=extra)
        return
    report.dropped += 1
    log.error("notification for %s %s failed permanently, not retried every run: %s "
              "(fix the channel or the app's token; what still fires is posted once Slack "
              "takes another message, or after the rule's repeat_interval)", message.rule,
              message.kind, error, extra=extra)
