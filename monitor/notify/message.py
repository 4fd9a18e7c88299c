"""Alerts → a channel-neutral message body (monitor/notify/body.py). Pure: the same
alerts always give the same body; the formatters in monitor/notify/formats/ draw it
(golden files in tests/golden/ pin the Block Kit of every shape)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from monitor.config import Rule
from monitor.metrics.format import format_interval, format_value
from monitor.notify.body import (
    BUTTONS,
    Action,
    AlertGroup,
    EvidenceRow,
    Fact,
    Kind,
    Link,
    MessageBody,
    Note,
    Numbers,
)
from monitor.notify.formats.block_kit import acted_blocks, escape
from monitor.report.format import runbook_link

if TYPE_CHECKING:  # types only: notify sits below the rules
    from monitor.rules.state import AlertState, Evidence

__all__ = ["BUTTONS", "acted_blocks", "alert_body", "button_value", "escape",
           "resolved_body"]

MAX_ALERTS_SHOWN = 20  # Slack draws 2 blocks each, leaving room for the rest (50 at most)
MAX_VALUE = 2000  # Slack's limit on a button's value
LABEL_NAMES = {"build_commit_sha": "commit", "system_id": "system", "game_date": "date"}


def short_time(text: str) -> str:
    """ISO timestamps to the minute ("2026-01-09 13:27 UTC"); other text unchanged."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None or len(text) < 16:
        return text
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def label_facts(labels: Sequence[tuple[str, str]]) -> tuple[Fact, ...]:
    return tuple(Fact(LABEL_NAMES.get(k, k), v) for k, v in labels)


def _numbers(ev: Evidence, rule: Rule) -> Numbers:
    facts = [f"n={ev.sample_size:,}"]
    if ev.interval:
        facts.append(format_interval(ev.metric, ev.interval))
    if ev.baseline is not None:
        facts.append(f"baseline {format_value(ev.metric, ev.baseline)}")
    cond = ("below" if rule.below is not None else "above" if rule.above is not None
            else "drop from baseline over")
    return Numbers(ev.metric, format_value(ev.metric, ev.value), tuple(facts),
                   f"{cond} {format_value(ev.metric, ev.threshold)}")


def _hints(ev: Evidence, labels: Sequence[tuple[str, str]],
           provenance: Mapping[str, Mapping[str, str]]) -> tuple[Fact, ...]:
    commit = dict(labels).get("build_commit_sha", "")
    facts: dict[str, str] = {}
    context = dict(ev.context)
    # A blocked batch's alert says which batch and why the gate blocked it.
    for key in ("first_predicted_at", "deployment_revision", "blocked_execution_id",
                "blocked_reasons"):
        if context.get(key):
            facts[key] = short_time(context[key])
    facts.update({k: short_time(v) for k, v in provenance.get(commit, {}).items() if v})
    if ev.dates:
        span = ev.dates[0] if len(ev.dates) == 1 else f"{ev.dates[0]} … {ev.dates[-1]}"
        facts = {"game dates": f"{span} ({len(ev.dates)})", **facts}
    return tuple(Fact(k, v) for k, v in facts.items())


def evidence_row(alert: AlertState, rule: Rule,
         provenance: Mapping[str, Mapping[str, str]]) -> EvidenceRow:
    ev = alert.evidence
    if ev is None:
        return EvidenceRow(label_facts(alert.labels))
    return EvidenceRow(label_facts(alert.labels), _numbers(ev, rule), ev.reason,
                       _hints(ev, alert.labels, provenance))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def alert_body(rule: Rule, alerts: Sequence[AlertState], *, kind: Kind = "firing",
               provenance: Mapping[str, Mapping[str, str]] | None = None,
               runbook_base_url: str | None = None) -> MessageBody:
    """One message per rule per run, listing every affected label set. A relative
    runbook_url is joined to `runbook_base_url` (settings), else shown as text."""
    provenance = provenance or {}
    verb = {"repeat": "still firing", "fired_resolved": "fired and resolved since"}.get(
        kind, "firing")
    title = f"{rule.severity.upper()}: {rule.name} {verb}"
    links: tuple[Link, ...] = ()
    if rule.runbook_url:
        text, url = runbook_link(rule.runbook_url, runbook_base_url)
        links = (Link("Runbook", url, text),)
    group = AlertGroup(rule.name, rule.severity, rule.description or rule.metric,
                       len(alerts), tuple(evidence_row(a, rule, provenance)
                                          for a in alerts[:MAX_ALERTS_SHOWN]), links)
    notes: tuple[Note, ...] = ()
    if kind == "fired_resolved":
        notes = (Note("This alert fired while Slack could not be reached and has been "
                      f"clear for {_plural(rule.resolve.after_runs, 'run')} since.",
                      "resolved"),)
    actions: tuple[Action, ...] = ()
    if kind in ("firing", "repeat"):
        value = button_value(alerts)
        actions = (Action("acknowledge", value), Action("silence_24h", value))
    where = ", ".join(f"{k}={v}" for k, v in alerts[0].labels)
    more = f" and {len(alerts) - 1} more" if len(alerts) > 1 else ""
    return MessageBody(kind, title, rule.severity, f"{title}: {where}{more}", (group,),
                       notes, actions)


def resolved_body(rule: Rule, alerts: Sequence[AlertState]) -> MessageBody:
    """Posted as a reply in the alert's thread."""
    group = AlertGroup(rule.name, rule.severity,
                       f"is clear for {_plural(rule.resolve.after_runs, 'run')}",
                       len(alerts), tuple(EvidenceRow(label_facts(a.labels))
                                          for a in alerts[:MAX_ALERTS_SHOWN]))
    return MessageBody("resolved", f"Resolved: {rule.name}", rule.severity,
                       f"Resolved: {rule.name}", (group,))


def button_value(alerts: Sequence[AlertState]) -> str:
    """The fingerprints of every alert a message lists: what its buttons act on. Past
    Slack's 2,000 characters (over 100 alerts) the rest are found by the message's ts."""
    value = ""
    for alert in alerts:
        more = f"{value},{alert.fingerprint}" if value else alert.fingerprint
        if len(more) > MAX_VALUE:
            break
        value = more
    return value
