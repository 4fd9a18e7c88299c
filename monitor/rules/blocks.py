"""Blocked commits: a person said no batch of this commit may be published. Events in
the alert event log (rule `commit_block`), folded into the blocks in force. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.rules.state import AlertEvent, make_event

BLOCK_RULE = "commit_block"


@dataclass(frozen=True)
class CommitBlock:
    commit: str
    blocked_by: str
    blocked_at: dt.datetime
    reason: str


def block_event(now: dt.datetime, run_id: str, commit: str, *, actor: str, reason: str,
                blocked: bool = True) -> AlertEvent:
    """`blocked` (detail: the reason) or `unblocked`, with who did it."""
    return make_event(now, run_id, "blocked" if blocked else "unblocked", BLOCK_RULE,
                      "critical", (("build_commit_sha", commit),),
                      detail=reason if blocked else None, actor=actor)


def fold_blocks(events: Iterable[AlertEvent]) -> dict[str, CommitBlock]:
    """The blocks in force, by commit: the latest block of a commit not unblocked since."""
    blocks: dict[str, CommitBlock] = {}
    for e in sorted(events, key=lambda e: e.event_time):
        if e.rule != BLOCK_RULE:
            continue
        commit = dict(e.labels).get("build_commit_sha", "")
        if e.event_type == "blocked" and commit:
            blocks[commit] = CommitBlock(commit, e.actor or "someone", e.event_time,
                                         e.detail or "")
        elif e.event_type == "unblocked":
            blocks.pop(commit, None)
    return blocks
