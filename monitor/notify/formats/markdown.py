"""MessageBody → CommonMark, for a chat reply, an issue or the docs' rendered incident
message (docs/incidents.md). Pure. Text from the data is escaped here: markup
characters are backslash-escaped, code spans fenced so a backtick in a value cannot
close them, and control characters shown escaped by `terminal_safe` (markdown is read
in terminals too)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.notify.body import AlertGroup, Fact, MessageBody
from monitor.report.format import terminal_safe

_MARKUP = re.compile(r"([\\`*_\[\]<>|~#!])")


def md(text: str) -> str:
    """Data as literal markdown text: one line, nothing it contains is markup."""
    return _MARKUP.sub(r"\\\1", terminal_safe(text, keep_newlines=False)).replace(
        "&", "&amp;")


def code(text: str) -> str:
    """Data as a code span, fenced one backtick longer than any run inside it."""
    safe = terminal_safe(text, keep_newlines=False)
    fence = "`" * (max((len(run) for run in re.findall("`+", safe)), default=0) + 1)
    pad = " " if safe.startswith("`") or safe.endswith("`") else ""
    return f"{fence}{pad}{safe}{pad}{fence}"


def _facts(facts: Sequence[Fact], bold: bool) -> str:
    if bold:
        return " · ".join(f"**{md(f.name)}** {code(f.value)}" for f in facts)
    return " · ".join(f"{md(f.name)}: {code(f.value)}" for f in facts)


def _group_lines(group: AlertGroup) -> list[str]:
    lines = [f"{md(group.summary)} — **{group.affected}** label "
             f"set{'s' if group.affected != 1 else ''} affected", ""]
    for row in group.rows:
        item = [_facts(row.labels, bold=True)]
        if row.numbers:
            n = row.numbers
            item.append(f"{md(n.metric)} **{md(n.value)}** ({md(', '.join(n.facts))}); "
                        f"rule: {md(n.condition)}")
        if row.reason is not None:
            item.append(f"_{md(row.reason)}_")
        if row.hints:
            item.append(_facts(row.hints, bold=False))
        # A hard line break (two spaces) keeps one alert in one list item.
        lines.append("- " + "  \n  ".join(item))
    if group.hidden:
        lines.append(f"- and {group.hidden} more")
    if group.links:
        lines += ["", " · ".join(f"[{md(link.label)}](<{_url(link.url)}>)" if link.url
                                 else f"{md(link.label)}: {code(link.text)}"
                                 for link in group.links)]
    return lines


def _url(url: str) -> str:
    """A link destination in angle brackets: no space, bracket or control character."""
    return re.sub(r"[\x00-\x20<>\x7f-\x9f]", lambda m: f"%{ord(m.group()):02X}", url)


def markdown(body: MessageBody) -> str:
    lines = [f"### {md(body.title)}", ""]
    if body.lead:
        lines += [f"**{md(body.lead)}**", ""]
    if body.facts:
        lines += [_facts(body.facts, bold=False), ""]
    notes = [f"> {md(note.text)}" for note in body.notes]
    if body.kind == "reply":
        lines += [*notes, ""]
    for group in body.groups:
        lines += [*_group_lines(group), ""]
    if body.kind != "reply":
        lines += notes
    if body.links:
        lines += ["", " · ".join(f"[{md(link.label)}](<{_url(link.url)}>)" if link.url
                                 else f"{md(link.label)}: {code(link.text)}"
                                 for link in body.links)]
    return "\n".join(lines).rstrip("\n") + "\n"
