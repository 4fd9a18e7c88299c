"""Alerts → Slack Block Kit JSON. Pure: the same alerts always give the same payload
(golden files in tests/golden/ pin every shape)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.config import Rule
from monitor.metrics.format import format_interval, format_value
from monitor.report.format import runbook_link

if TYPE_CHECKING:  # types only: notify sits below the rules
    from monitor.rules.state import Action, AlertState, Evidence

MAX_BLOCKS = 50  # Slack's limit per message
MAX_TEXT = 3000  # Slack's limit per section text
MAX_ALERTS_SHOWN = 20  # 2 blocks each, leaving room for header, summary, "more", runbook,
#   the "resolved since" note, the buttons and the note of who acted
MAX_VALUE = 2000  # Slack's limit on a button's value
ACTIONS_BLOCK = "alert_actions"  # block_id of the buttons: an update replaces them
ACTED_BLOCK = "alert_acted"  # block_id of "acknowledged by …": an update replaces it
# action_id of each button → the event it writes (monitor/rules/state.py ACTIONS)
BUTTONS: dict[str, tuple[str, Action]] = {
    "acknowledge": ("Acknowledge", "acknowledged"),
    "silence_24h": ("Silence 24 h", "silence"),
    "unsilence": ("Unsilence", "unsilence")}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
SEVERITY_ICON = {"critical": ":red_circle:", "warning": ":large_orange_circle:"}
LABEL_NAMES = {"build_commit_sha": "commit", "system_id": "system", "game_date": "date"}


def escape(text: str) -> str:
    """mrkdwn control characters; data must never become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def short_time(text: str) -> str:
    """ISO timestamps to the minute ("2026-01-09 13:27 UTC"); other text unchanged."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None or len(text) < 16:
        return text
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the notification fallback
    blocks: list[dict[str, Any]]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def _labels_line(labels: Sequence[tuple[str, str]]) -> str:
    return " · ".join(f"*{LABEL_NAMES.get(k, k)}* `{escape(v)}`" for k, v in labels)


def _numbers(ev: Evidence, rule: Rule) -> str:
    facts = [f"n={ev.sample_size:,}"]
    if ev.interval:
        facts.append(format_interval(ev.metric, ev.interval))
    if ev.baseline is not None:
        facts.append(f"baseline {format_value(ev.metric, ev.baseline)}")
    cond = ("below" if rule.below is not None else "above" if rule.above is not None
            else "drop from baseline over")
    return (f"{ev.metric} *{format_value(ev.metric, ev.value)}* ({', '.join(facts)}); "
            f"rule: {cond} {format_value(ev.metric, ev.threshold)}")


def _hints(ev: Evidence, labels: Sequence[tuple[str, str]],
           provenance: Mapping[str, Mapping[str, str]]) -> str:
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
    return " · ".join(f"{escape(k)}: `{escape(v)}`" for k, v in facts.items())


def alert_message(rule: Rule, alerts: Sequence[AlertState], *, kind: str = "firing",
                  provenance: Mapping[str, Mapping[str, str]] | None = None,
                  runbook_base_url: str | None = None) -> SlackMessage:
    """One message per rule per run, listing every affected label set. A relative
    runbook_url is joined to `runbook_base_url` (settings), else shown as text."""
    provenance = provenance or {}
    icon = SEVERITY_ICON[rule.severity]
    verb = {"repeat": "still firing", "fired_resolved": "fired and resolved since"}.get(
        kind, "firing")
    title = f"{rule.severity.upper()}: {rule.name} {verb}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(
            f"{icon} {escape(rule.description or rule.metric)} — "
            f"*{len(alerts)}* label set{'s' if len(alerts) != 1 else ''} affected")}},
    ]
    for alert in alerts[:MAX_ALERTS_SHOWN]:
        ev = alert.evidence
        body = _labels_line(alert.labels)
        if ev:
            body += f"\n{_numbers(ev, rule)}\n_{escape(ev.reason)}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(body)}})
        hints = _hints(ev, alert.labels, provenance) if ev else ""
        if hints:
            blocks.append({"type": "context",
                           "elements": [{"type": "mrkdwn", "text": _clip(hints)}]})
    if len(alerts) > MAX_ALERTS_SHOWN:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": f"and {len(alerts) - MAX_ALERTS_SHOWN} more"}})
    if kind == "fired_resolved":
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            ":large_green_circle: This alert fired while Slack could not be reached and "
            f"has been clear for {rule.resolve.after_runs} run"
            f"{'s' if rule.resolve.after_runs != 1 else ''} since.")}]})
    if rule.runbook_url:
        text, url = runbook_link(rule.runbook_url, runbook_base_url)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"<{escape(url)}|Runbook>" if url else f"Runbook: `{escape(text)}`")}})
    if kind in ("firing", "repeat"):
        blocks.append(action_buttons(button_value(alerts), ("acknowledge", "silence_24h")))
    assert len(blocks) <= MAX_BLOCKS
    first = alerts[0]
    where = ", ".join(f"{k}={v}" for k, v in first.labels)
    more = f" and {len(alerts) - 1} more" if len(alerts) > 1 else ""
    text = escape(f"{title}: {where}{more}")
    return SlackMessage(_clip(text), blocks)


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


def action_buttons(value: str, action_ids: Sequence[str]) -> dict[str, Any]:
    elements = []
    for action_id in action_ids:
        label = BUTTONS[action_id][0]
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                                  "text": {"type": "plain_text", "text": label}}
        if action_id == "acknowledge":
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": elements}


def who(user: str) -> str:
    """A Slack user id as a mention; anything else as escaped text."""
    return f"<@{user}>" if _USER_ID.match(user) else escape(user)


def acted_blocks(blocks: Sequence[dict[str, Any]], action: str, *, user: str,
                 at: dt.datetime, value: str, until: dt.datetime | None = None) -> (
    list[dict[str, Any]]
):
    """The alert message after someone pressed a button (`chat.update`): the same
    blocks, a note of who did what and when, and the buttons that make sense now."""
    kept = [b for b in blocks if b.get("block_id") not in (ACTIONS_BLOCK, ACTED_BLOCK)]
    when = at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if action == "acknowledged":
        note = f":white_check_mark: Acknowledged by {who(user)} at {when}"
        buttons: tuple[str, ...] = ("silence_24h",)
    elif action == "silence":
        end = (until or at).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        note = f":no_bell: Silenced by {who(user)} at {when}, until {end}"
        buttons = ("unsilence",)
    elif action == "unsilence":
        note = f":bell: Unsilenced by {who(user)} at {when}"
        buttons = ("acknowledge", "silence_24h")
    else:
        raise ValueError(f"unknown action {action!r}")
    kept = kept[:MAX_BLOCKS - 2]
    return [*kept, {"type": "context", "block_id": ACTED_BLOCK,
                    "elements": [{"type": "mrkdwn", "text": note}]},
            action_buttons(value, buttons)]


def resolved_message(rule: Rule, alerts: Sequence[AlertState]) -> SlackMessage:
    """Posted as a reply in the alert's thread."""
    lines = [_labels_line(a.labels) for a in alerts[:MAX_ALERTS_SHOWN]]
    if len(alerts) > MAX_ALERTS_SHOWN:
        lines.append(f"and {len(alerts) - MAX_ALERTS_SHOWN} more")
    text = f":large_green_circle: *Resolved*: {escape(rule.name)} is clear for " \
           f"{rule.resolve.after_runs} run{'s' if rule.resolve.after_runs != 1 else ''}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip("\n".join(lines))}},
    ]
    return SlackMessage(_clip(escape(f"Resolved: {rule.name}")), blocks)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message_as_text(message: SlackMessage) -> str:
    """What the console notifier prints: the blocks as readable lines."""
    lines: list[str] = []
    for block in message.blocks:
        if block["type"] in ("header", "section"):
            lines.append(unescape(block["text"]["text"]))
        elif block["type"] == "context":
            lines.extend("  " + unescape(el["text"]) for el in block["elements"])
    return "\n".join(lines)
