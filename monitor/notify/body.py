"""A message about alerts, channel-neutral: what it says, not how a channel draws it.

Built once from an incident and its alerts (monitor/notify/incident_message.py) and
drawn by the pure formatters of monitor/notify/formats/: Block Kit for Slack, text for
a terminal or a log, markdown. Text from the data stays raw here; each formatter
escapes it for its own output, once. A body lists one or several rules' alerts
(`groups`) and says nothing about where it goes: the same body can be posted, replace
an earlier message (`chat.update`) or be a reply in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # types only: notify sits below the rules
    from monitor.rules.state import Action as ActionEvent
    from monitor.rules.state import BlockEventType

Severity = Literal["critical", "warning"]
# An incident's messages (monitor/notify/incident_message.py): incident (the top-level
# message, posted once and kept current by chat.update) | reply (what changed, in its
# thread) | reminder (what still fires, in its thread).
Kind = Literal["incident", "reply", "reminder"]
Tone = Literal["info", "resolved"]

# action_id of each button → (its label, the event it writes; monitor/rules/state.py
# ACTIONS, and a commit block's events, monitor/rules/blocks.py). Stable: Slack sends
# the action_id back when someone presses a button.
BUTTONS: dict[str, tuple[str, ActionEvent | BlockEventType]] = {
    "acknowledge": ("Acknowledge", "acknowledged"),
    "silence_24h": ("Silence 24 h", "silence"),
    "unsilence": ("Unsilence", "unsilence"),
    "block_commit": ("Block this commit", "blocked"),
    "unblock_commit": ("Unblock", "unblocked")}
# The buttons about an incident's commit; one of them at a time.
COMMIT_BUTTONS = ("block_commit", "unblock_commit")


def block_question(commit: str) -> str:
    """What a person confirms before a commit is blocked (a dialog in Slack)."""
    return (f"Block commit {commit}? check-batch, check-deployment and the gate will "
            "refuse every batch of it until someone unblocks it.")


@dataclass(frozen=True)
class Fact:
    """A name and a value, e.g. commit → 0b5e11ad; the value comes from the data."""

    name: str
    value: str


@dataclass(frozen=True)
class Numbers:
    """An alert's measurement, already written for people."""

    metric: str
    value: str  # "86.4%"
    facts: tuple[str, ...]  # "n=162", "95% CI 80.3%–90.9%", "baseline 2.1%"
    condition: str  # what the rule fires on: "above 5.0%"


@dataclass(frozen=True)
class EvidenceRow:
    """One alert (one label set): where, the numbers, why, and root-cause hints."""

    labels: tuple[Fact, ...]
    numbers: Numbers | None = None
    reason: str | None = None
    hints: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Link:
    """`url` None: nowhere to link to (a relative runbook without a base), so the
    formatters show `text`, the reference itself."""

    label: str
    url: str | None
    text: str = ""


@dataclass(frozen=True)
class Action:
    """A button: `action_id` names what it does (BUTTONS), `value` what it acts on."""

    action_id: str
    value: str
    # A question a person confirms before the button acts (block_question); "" for none.
    confirm: str = ""

    @property
    def label(self) -> str:
        return BUTTONS[self.action_id][0]


@dataclass(frozen=True)
class Note:
    text: str
    tone: Tone = "info"


@dataclass(frozen=True)
class AlertGroup:
    """One rule's alerts in a message: `rows` are those shown, `affected` all of them."""

    rule: str
    severity: Severity
    summary: str  # the rule and what it watches (or of what it is a symptom)
    affected: int
    rows: tuple[EvidenceRow, ...]
    links: tuple[Link, ...] = ()

    @property
    def hidden(self) -> int:
        return self.affected - len(self.rows)


@dataclass(frozen=True)
class MessageBody:
    kind: Kind
    title: str  # "CRITICAL #1: commit 0b5e11ad7c3f (open)"
    severity: Severity
    headline: str  # the one line a notification shows
    groups: tuple[AlertGroup, ...]
    notes: tuple[Note, ...] = ()
    actions: tuple[Action, ...] = ()
    # Under the title: what is wrong in one line, and the root-cause hints said once
    # for the whole message (an incident's commit), not once per alert.
    lead: str = ""
    facts: tuple[Fact, ...] = ()
    links: tuple[Link, ...] = ()  # of the whole message (an incident's report)
