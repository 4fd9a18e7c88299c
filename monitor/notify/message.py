"""An alert → the parts of a channel-neutral message body (monitor/notify/body.py):
its labels, its numbers, its root-cause hints. Pure: the same alert always gives the
same parts. monitor/notify/incident_message.py builds the messages from them; the
formatters in monitor/notify/formats/ draw those (golden files in tests/golden/ pin the
Block Kit of every shape)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.config import Rule
from monitor.metrics.format import format_interval, format_value
from monitor.notify.body import EvidenceRow, Fact, Numbers

if TYPE_CHECKING:  # types only: notify sits below the rules
    from monitor.rules.state import AlertState, Evidence

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


def _hints(ev: Evidence) -> tuple[Fact, ...]:
    """The alert's own hints; the commit's provenance is the incident's (said once)."""
    facts: dict[str, str] = {}
    context = dict(ev.context)
    # A blocked batch's alert says which batch and why the gate blocked it.
    for key in ("first_predicted_at", "deployment_revision", "blocked_execution_id",
                "blocked_reasons"):
        if context.get(key):
            facts[key] = short_time(context[key])
    if ev.dates:
        span = ev.dates[0] if len(ev.dates) == 1 else f"{ev.dates[0]} … {ev.dates[-1]}"
        facts = {"game dates": f"{span} ({len(ev.dates)})", **facts}
    return tuple(Fact(k, v) for k, v in facts.items())


def evidence_row(alert: AlertState, rule: Rule) -> EvidenceRow:
    ev = alert.evidence
    if ev is None:
        return EvidenceRow(label_facts(alert.labels))
    return EvidenceRow(label_facts(alert.labels), _numbers(ev, rule), ev.reason,
                       _hints(ev))
