"""Blocked commits: a person said no batch of this commit may be published. Events in
the alert event log (rule `commit_block`), folded into the blocks in force. Pure."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from monitor.rules.state import BLOCK_RULE, AlertEvent, make_event

# Commit labels that name no commit (the data contract's NULL and the system-wide series).
NOT_COMMITS = ("unknown", "all")
MAX_TEXT = 1000  # a reason, a name or a sha longer than this is a mistake


@dataclass(frozen=True)
class CommitBlock:
    commit: str
    blocked_by: str
    blocked_at: dt.datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "blocked_by": self.blocked_by,
                "blocked_at": self.blocked_at.astimezone(dt.UTC).isoformat(),
                "reason": self.reason}


def plain_text(text: str, what: str, *, limit: int = MAX_TEXT) -> str:
    """`text` without its surrounding blanks: one printable line, not empty. Raises
    ValueError naming `what` otherwise (a control character would reach the log, Slack
    and every terminal that lists the block)."""
    text = text.strip()
    if not text:
        raise ValueError(f"{what} is empty")
    if len(text) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValueError(f"{what} holds a control character")
    return text


def commit_text(text: str) -> str:
    """A commit as given on the command line: a sha (full or abbreviated hex) or the
    data contract's build_commit_sha text, one word without control characters; never
    `unknown` or `all`, which name no commit. Raises ValueError saying what is wrong."""
    commit = plain_text(text, "the commit", limit=100)
    if any(ch.isspace() for ch in commit):
        raise ValueError(f"the commit {commit!r} holds a blank: one sha, one word")
    if commit.lower() in NOT_COMMITS:
        raise ValueError(f"{commit!r} names no commit (rows without a known commit cannot "
                         "be blocked by commit)")
    return commit


def blocks_of(blocks: Mapping[str, CommitBlock], commit: str) -> list[CommitBlock]:
    """The blocks in force on `commit`: its own, else those of the same commit written
    otherwise (a full and an abbreviated sha, as monitor.provenance.identity matches)."""
    from monitor.provenance.identity import same_commit

    if commit in blocks:
        return [blocks[commit]]
    return [b for sha, b in sorted(blocks.items()) if same_commit(commit, sha)]


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
