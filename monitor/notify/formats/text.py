"""MessageBody → plain text for a terminal or a log line (the console channel and
`run --dry-run`). Pure. Text from the data goes through `terminal_safe` here: no
escape sequence, carriage return or bell from the data reaches a terminal."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.notify.body import AlertGroup, Fact, MessageBody
from monitor.report.format import terminal_safe


def _safe(text: str) -> str:
    return terminal_safe(text, keep_newlines=False)


def _facts(facts: Sequence[Fact], sep: str = " ") -> str:
    return " · ".join(f"{_safe(f.name)}{sep}{_safe(f.value)}" for f in facts)


def _group_lines(group: AlertGroup) -> list[str]:
    lines = [f"{_safe(group.summary)} — {group.affected} label "
             f"set{'s' if group.affected != 1 else ''} affected"]
    for row in group.rows:
        lines.append(f"  {_facts(row.labels)}")
        if row.numbers:
            n = row.numbers
            lines.append(f"    {_safe(n.metric)} {_safe(n.value)} "
                         f"({_safe(', '.join(n.facts))}); rule: {_safe(n.condition)}")
        if row.reason is not None:
            lines.append(f"    {_safe(row.reason)}")
        if row.hints:
            lines.append(f"    {_facts(row.hints, ': ')}")
    if group.hidden:
        lines.append(f"  and {group.hidden} more")
    lines += [f"{_safe(link.label)}: {_safe(link.url or link.text)}" for link in group.links]
    return lines


def text(body: MessageBody) -> str:
    """The message as lines; the actions (buttons) exist only in Slack."""
    lines = [_safe(body.title)]
    if body.lead:
        lines.append(_safe(body.lead))
    if body.facts:
        lines.append(_facts(body.facts, ": "))
    notes = [_safe(note.text) for note in body.notes]
    if body.kind == "reply":
        lines += notes
    for group in body.groups:
        lines += _group_lines(group)
    if body.kind != "reply":
        lines += notes
    lines += [f"{_safe(link.label)}: {_safe(link.url or link.text)}" for link in body.links]
    return "\n".join(lines)
