"""MessageBody → Slack Block Kit JSON, within Slack's limits. Pure: the same body
always gives the same payload (golden files in tests/golden/ pin every shape). Text
from the data is escaped for mrkdwn here and nowhere else: it must never become a
mention or a link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.notify.body import (
    BUTTONS,
    COMMIT_BUTTONS,
    AlertGroup,
    EvidenceRow,
    Fact,
    Link,
    MessageBody,
    block_question,
)

MAX_BLOCKS = 50  # Slack's limit per message
MAX_TEXT = 3000  # Slack's limit per section text
MAX_HEADER = 150  # Slack's limit on a header's text
MAX_CONFIRM_TEXT = 300  # Slack's limit on a confirmation dialog's text
ACTIONS_BLOCK = "alert_actions"  # block_id of the buttons: an update replaces them
ACTED_BLOCK = "alert_acted"  # block_id of "acknowledged by …": an update replaces it
COMMIT_ACTED_BLOCK = "commit_acted"  # block_id of "blocked by …", beside the one above
SEVERITY_ICON = {"critical": ":red_circle:", "warning": ":large_orange_circle:"}
TONE_ICON = {"resolved": ":large_green_circle:", "info": ":information_source:"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the notification fallback
    blocks: list[Block]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """mrkdwn control characters; data must never become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Data in a plain_text object (a header, a dialog): Slack draws no mention or
    link there, but angle brackets never reach it raw either."""
    return text.replace("<", "‹").replace(">", "›")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Within a Slack limit, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def _facts(facts: Sequence[Fact]) -> str:
    return " · ".join(f"*{escape(f.name)}* `{escape(f.value)}`" for f in facts)


def _hints(facts: Sequence[Fact]) -> str:
    return " · ".join(f"{escape(f.name)}: `{escape(f.value)}`" for f in facts)


def _row_blocks(row: EvidenceRow) -> list[Block]:
    text = _facts(row.labels)
    if row.numbers:
        n = row.numbers
        text += (f"\n{escape(n.metric)} *{escape(n.value)}* "
                 f"({escape(', '.join(n.facts))}); rule: {escape(n.condition)}")
    if row.reason is not None:
        text += f"\n_{escape(row.reason)}_"
    blocks = [_section(text)]
    if row.hints:
        blocks.append(_context(_hints(row.hints)))
    return blocks


def _link(link: Link) -> str:
    if link.url:
        return f"<{escape(link.url)}|{escape(link.label)}>"
    return f"{escape(link.label)}: `{escape(link.text)}`"


def _more(group: AlertGroup) -> str:
    return f"and {group.hidden} more"


def _group_blocks(group: AlertGroup) -> list[Block]:
    affected = f"*{group.affected}* label set{'s' if group.affected != 1 else ''} affected"
    blocks = [_section(f"{SEVERITY_ICON[group.severity]} {escape(group.summary)} — "
                       f"{affected}")]
    for row in group.rows:
        blocks += _row_blocks(row)
    if group.hidden:
        blocks.append(_section(_more(group)))
    return blocks


def _fit(groups: Sequence[AlertGroup], fixed: int) -> tuple[list[AlertGroup],
                                                          list[AlertGroup]]:
    """The groups shown and those left out, so that the message fits in Slack's 50
    blocks: when the rules' headings and runbook links alone are too many, the last
    groups (counted in one "and N more rules"); then rows (counted in each group's
    "and N more"), widest group first."""
    shown = list(groups)
    left: list[AlertGroup] = []

    def size(gs: Sequence[AlertGroup]) -> int:
        return fixed + sum(len(_group_blocks(g)) + len(g.links) for g in gs) + (
            1 if left else 0)

    while shown and size([replace(g, rows=()) for g in shown]) > MAX_BLOCKS:
        left.insert(0, shown.pop())
    while size(shown) > MAX_BLOCKS:
        # The widest group gives a row, the last of those first: the top stays whole.
        widest = max(range(len(shown)), key=lambda i: (len(shown[i].rows), i))
        if not shown[widest].rows:
            break
        shown[widest] = replace(shown[widest], rows=shown[widest].rows[:-1])
    return shown, left


def _more_rules(groups: Sequence[AlertGroup]) -> Block:
    names = ", ".join(g.rule for g in groups)
    sets = sum(g.affected for g in groups)
    return _section(f"and {len(groups)} more rule{'s' if len(groups) != 1 else ''} "
                    f"({sets} label set{'s' if sets != 1 else ''}): {escape(names)}")


def block_kit(body: MessageBody) -> SlackMessage:
    """The message for chat.postMessage, chat.update or an incoming webhook."""
    head: list[Block] = []
    if body.kind == "incident":
        head.append({"type": "header", "text": {"type": "plain_text",
                                                "text": clip(plain(body.title),
                                                             MAX_HEADER)}})
    elif body.kind == "reminder":
        head.append(_section(f"{SEVERITY_ICON[body.severity]} *{escape(body.title)}*"))
    if body.lead:
        head.append(_section(f"{SEVERITY_ICON[body.severity]} *{escape(body.lead)}*"))
    if body.facts:
        head.append(_context(_hints(body.facts)))
    notes: list[Block] = [_context(f"{TONE_ICON[n.tone]} {escape(n.text)}")
                          for n in body.notes]
    # A reply says what changed first, in one block however many changes a cycle
    # decided, then the numbers of the members that joined.
    if body.kind == "reply" and notes:
        head.append(_section("\n".join(f"{TONE_ICON[n.tone]} {escape(n.text)}"
                                       for n in body.notes)))
        notes = []
    # The message's own links (its report) come after the rules' runbooks.
    own = [_section(_link(link)) for link in body.links]
    buttons: list[Block] = []
    if body.actions:
        buttons.append(action_buttons(body.actions[0].value,
                                      [a.action_id for a in body.actions],
                                      confirm={a.action_id: a.confirm for a in body.actions
                                               if a.confirm}))
    groups, left = _fit(body.groups, len(head) + len(notes) + len(own) + len(buttons))
    middle: list[Block] = []
    for group in groups:
        middle += _group_blocks(group)
    if left:
        middle.append(_more_rules(left))
    links = [_section(_link(link)) for g in groups for link in g.links]
    return SlackMessage(clip(escape(body.headline)),
                        [*head, *middle, *notes, *links, *own, *buttons])


def action_buttons(value: str, action_ids: Sequence[str], *,
                   confirm: Mapping[str, str] | None = None) -> Block:
    """The buttons, all acting on `value`; `confirm`: by action_id, the question a
    confirmation dialog asks before the button acts."""
    elements = []
    for action_id in action_ids:
        label = BUTTONS[action_id][0]
        button: Block = {"type": "button", "action_id": action_id, "value": value,
                         "text": {"type": "plain_text", "text": label}}
        if action_id == "acknowledge":
            button["style"] = "primary"
        elif action_id == "block_commit":
            button["style"] = "danger"
        question = (confirm or {}).get(action_id)
        if question:
            button["confirm"] = {
                "title": {"type": "plain_text", "text": f"{label}?"},
                "text": {"type": "plain_text", "text": clip(plain(question), MAX_CONFIRM_TEXT)},
                "confirm": {"type": "plain_text", "text": label.split()[0]},
                "deny": {"type": "plain_text", "text": "Cancel"},
                "style": "danger" if action_id == "block_commit" else "primary"}
        elements.append(button)
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": elements}


def who(user: str) -> str:
    """A Slack user id as a mention; anything else as escaped text."""
    return f"<@{user}>" if _USER_ID.match(user) else escape(user)


def acted_blocks(blocks: Sequence[Block], action: str, *, user: str,
                 at: dt.datetime, value: str, until: dt.datetime | None = None,
                 commit: str | None = None, blocked: bool = False) -> list[Block]:
    """The alert or incident message after someone pressed a button (`chat.update`):
    the same blocks, a note of who did what and when, and the buttons that make sense
    now. `commit`: the incident's commit, which keeps its Block (or, when `blocked`,
    Unblock) button; a block or an unblock leaves the other buttons as they were."""
    when = at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    note_block = ACTED_BLOCK
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
    elif action in ("blocked", "unblocked") and commit is not None:
        blocked = action == "blocked"
        note_block = COMMIT_ACTED_BLOCK
        said = "Blocked" if blocked else "Unblocked"
        note = (f":{'no_entry' if blocked else 'arrow_forward'}: {said} by {who(user)} at "
                f"{when}: commit `{escape(commit)}`" + (
                    " — check-batch, check-deployment and the gate refuse its batches"
                    if blocked else " — its batches are judged on their rows again"))
        buttons = tuple(_pressable(blocks))
    else:
        raise ValueError(f"unknown action {action!r}"
                         + (" without a commit" if action in ("blocked", "unblocked") else ""))
    if commit is not None:
        buttons = (*[b for b in buttons if b not in COMMIT_BUTTONS],
                   "unblock_commit" if blocked else "block_commit")
    kept = [b for b in blocks if b.get("block_id") not in (ACTIONS_BLOCK, note_block)]
    kept = kept[:MAX_BLOCKS - 2]
    confirm = {"block_commit": block_question(commit)} if commit is not None else None
    return [*kept, {"type": "context", "block_id": note_block,
                    "elements": [{"type": "mrkdwn", "text": note}]},
            action_buttons(value, buttons, confirm=confirm)]


def _pressable(blocks: Sequence[Block]) -> list[str]:
    """The action_ids of the buttons a message shows (those this code knows)."""
    return [e.get("action_id", "") for b in blocks if b.get("block_id") == ACTIONS_BLOCK
            for e in b.get("elements", []) if isinstance(e, dict)
            and e.get("action_id") in BUTTONS]
