"""Block Kit payloads of an incident's messages, pinned by golden files: the top-level
post (and each chat.update), a reply, a reminder, the message after someone acted.
Regenerate on purpose with UPDATE_GOLDEN=1 pytest tests/test_slack_messages.py, then
review the diff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from monitor.config import IncidentSettings, MonitorConfig
from monitor.notify.formats.block_kit import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_TEXT,
    SlackMessage,
    acted_blocks,
    block_kit,
    escape,
)
from monitor.notify.incident_message import incident_body, reminder_body, reply_body
from monitor.rules.incidents import IncidentOp, plan_incident_ops
from monitor.rules.state import Evidence
from tests.golden_files import assert_golden, golden_json
from tests.incident_bodies import (
    ENSEMBLE,
    HINTS,
    INC,
    MISMATCH,
    OPENED,
    PPM,
    SHA,
    STALE,
    H,
    Story,
    labels,
    rules_of,
    share,
)

BASE = "https://docs.test/prediction-monitor/"
REPORT = "https://reports.test/prediction-monitor/report.html"
ACTED_AT = OPENED + dt.timedelta(minutes=50)
VALUE = f"incident:{INC}"
ENSEMBLE_MISMATCH = share("mismatch_share", 0.79, 140, (0.71, 0.85), 0.05,
                          dates=("2026-01-09", "2026-01-10", "2026-01-11"))


def check_golden(name: str, message: SlackMessage) -> None:
    assert_golden(f"{name}.json", golden_json(message.payload()))


def two_rules() -> Story:
    """vegas_line_feature_mismatch on both systems of the commit, ppm_default_filled on
    one: two rules, three members, one incident."""
    story = Story()
    story.fire("vegas_line_feature_mismatch", labels(), MISMATCH)
    story.fire("vegas_line_feature_mismatch", labels(ENSEMBLE), ENSEMBLE_MISMATCH)
    story.fire("ppm_default_filled", labels(), PPM)
    return story


def post(config: MonitorConfig, story: Story, **kwargs: Any) -> SlackMessage:
    return block_kit(incident_body(story.incident(), story.alerts(), rules_of(config),
                                   hints=HINTS, **kwargs))


def owed(story: Story, now: dt.datetime) -> list[IncidentOp]:
    return plan_incident_ops({INC: story.incident()}, story.alerts(), now=now,
                             settings=IncidentSettings(), threads=True)


def strings(payload: Any) -> list[str]:
    """Every text in a payload, however deep."""
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, dict):
        payload = list(payload.values())
    return [t for item in payload for t in strings(item)] if isinstance(payload, list) else []


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_post_names_the_commit_once_and_each_rule_with_its_numbers(
        config: MonitorConfig) -> None:
    msg = post(config, two_rules(), runbook_base_url=BASE, report_url=REPORT)
    check_golden("incident_post", msg)
    said = golden_json(msg.payload())
    # The commit's hints are said once for the incident, not once per member.
    assert said.count("feature_source_mode") == 1
    assert said.count("Runbook: vegas_line_feature_mismatch") == 1
    assert buttons(msg.blocks) == ["acknowledge", "silence_24h", "block_commit"]
    # The published report, after the runbooks (settings.report_url).
    assert msg.blocks[-2]["text"]["text"] == f"<{REPORT}|Report (incident #1)>"


def test_a_long_incident_is_cut_within_slack_limits_and_says_how_much_more(
        config: MonitorConfig) -> None:
    rules = list(rules_of(config))
    story = Story()
    for system in ("catboost_v8", ENSEMBLE, "shadow_a", "shadow_b"):
        story.fire("vegas_line_feature_mismatch", labels(system), MISMATCH)
    # Warnings without evidence, after the critical rule: rows of one line each.
    for name in rules[:17]:
        if name != "vegas_line_feature_mismatch":
            story.fire(name, labels(), severity="warning")
    msg = post(config, story)
    check_golden("incident_cut", msg)
    assert len(msg.blocks) == MAX_BLOCKS
    members = len(story.incident().members)
    shown = sum(1 for b in msg.blocks if b["type"] == "section"
                and b["text"]["text"].startswith("*commit*"))
    more = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"
            and b["text"]["text"].startswith("and ")]
    rules_left = more.pop()  # the last: the rules with no heading of their own
    assert rules_left.startswith("and ") and " more rules (" in rules_left
    left_sets = int(rules_left.split("(")[1].split()[0])
    assert shown + sum(int(t.split()[1]) for t in more) + left_sets == members
    # The buttons survive the cut.
    assert msg.blocks[-1]["type"] == "actions"


def test_no_text_passes_slacks_limits_however_long_the_data(config: MonitorConfig) -> None:
    huge = "x" * 5000
    story = Story(key=f"commit:{huge}")
    story.fire("vegas_line_feature_mismatch", labels(commit=huge), MISMATCH)
    msg = post(config, story)
    header = msg.blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= MAX_HEADER
    assert max(len(t) for t in strings(msg.payload())) == MAX_TEXT  # cut, not refused


def test_a_reply_says_what_changed_with_the_numbers_of_the_rule_that_joined(
        config: MonitorConfig) -> None:
    story = Story()
    story.fire("vegas_line_feature_mismatch", labels(), MISMATCH)
    story.fire("ppm_default_filled", labels(), PPM)
    story.posted()
    later = OPENED + 2 * H
    story.fire("backfill_on_stale_commit", labels(), STALE, at=later)
    story.resolve("ppm_default_filled", labels(), at=later)
    reply, update = owed(story, later)
    assert (reply.kind, update.kind) == ("reply", "update")
    msg = block_kit(reply_body(story.incident(), reply.changes, story.alerts(),
                               rules_of(config)))
    check_golden("incident_reply", msg)
    said = golden_json(msg.payload())
    assert "backfill_on_stale_commit (system catboost_v8) joined" in said
    assert "ppm_default_filled (system catboost_v8) resolved" in said
    assert "stale_backfill_batches *1*" in said  # the joining rule's numbers
    assert buttons(msg.blocks) == []


def test_a_resolved_incidents_update_keeps_its_members_and_drops_the_buttons(
        config: MonitorConfig) -> None:
    story = Story()
    story.fire("vegas_line_feature_mismatch", labels(), MISMATCH)
    story.fire("ppm_default_filled", labels(), PPM)
    story.posted()
    done = OPENED + 3 * H
    story.resolve("vegas_line_feature_mismatch", labels(), at=done)
    story.resolve("ppm_default_filled", labels(), at=done)
    story.closed(done)
    assert [op.kind for op in owed(story, done)] == ["reply", "update"]
    msg = post(config, story)
    check_golden("incident_resolved", msg)
    assert msg.blocks[0]["text"]["text"] == f"CRITICAL #1: commit {SHA} (resolved)"
    assert "resolved at 2026-01-09 18:15 UTC" in msg.text
    assert buttons(msg.blocks) == []


def test_a_reminder_lists_what_still_fires(config: MonitorConfig) -> None:
    story = two_rules().posted()
    later = OPENED + 24 * H
    op, = owed(story, later)
    assert op.kind == "reminder"
    msg = block_kit(reminder_body(story.incident(), story.alerts(), rules_of(config), later))
    check_golden("incident_reminder", msg)
    assert msg.text == ("Still firing: #1 commit 0b5e11ad (ppm_default_filled, "
                        "vegas_line_feature_mismatch), open 24 h")
    assert buttons(msg.blocks) == ["acknowledge", "silence_24h"]


@pytest.mark.parametrize("raw, safe", [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<https://x|y>", "&lt;https://x|y&gt;"),
    ("a & b", "a &amp; b"),
    ("&lt;", "&amp;lt;"),
])
def test_escape(raw: str, safe: str) -> None:
    assert escape(raw) == safe


def test_buttons_after_each_action_and_who_acted(config: MonitorConfig) -> None:
    original = post(config, two_rules())
    acked = acted_blocks(original.blocks, "acknowledged", user="U024BE7LH", at=ACTED_AT,
                         value=VALUE, commit=SHA)
    check_golden("incident_acknowledged", SlackMessage(original.text, acked))
    silenced = acted_blocks(acked, "silence", user="U024BE7LH", at=ACTED_AT, value=VALUE,
                            until=ACTED_AT + dt.timedelta(hours=24), commit=SHA)
    check_golden("incident_silenced", SlackMessage(original.text, silenced))
    blocked = acted_blocks(silenced, "blocked", user="U0LEAD", at=ACTED_AT + H,
                           value=VALUE, commit=SHA, blocked=True)
    check_golden("incident_blocked", SlackMessage(original.text, blocked))
    # The notes and the buttons are replaced, not piled up: one of each kind.
    assert len(silenced) == len(acked) == len(original.blocks) + 1
    assert len(blocked) == len(silenced) + 1
    assert buttons(acked) == ["silence_24h", "block_commit"]
    assert buttons(silenced) == ["unsilence", "block_commit"]
    assert buttons(blocked) == ["unsilence", "unblock_commit"]
    back = acted_blocks(blocked, "unsilence", user="U2", at=ACTED_AT + 2 * H, value=VALUE,
                        commit=SHA, blocked=True)
    assert buttons(back) == ["acknowledge", "silence_24h", "unblock_commit"]
    unblocked = acted_blocks(back, "unblocked", user="U0LEAD", at=ACTED_AT + 3 * H,
                             value=VALUE, commit=SHA)
    assert buttons(unblocked) == ["acknowledge", "silence_24h", "block_commit"]
    assert len(unblocked) == len(blocked)
    # Something that is not a user id is never a mention.
    odd = acted_blocks(original.blocks, "acknowledged", user="<!channel>", at=ACTED_AT,
                       value=VALUE, commit=SHA)
    assert "&lt;!channel&gt;" in odd[-2]["elements"][0]["text"]


def test_an_incident_without_a_commit_has_no_commit_buttons(config: MonitorConfig) -> None:
    story = Story(key="system_id=catboost_v8", severity="warning")
    story.fire("vegas_coverage_drop", (("system_id", "catboost_v8"),),
               Evidence("vegas_coverage", 0.41, 300, (0.36, 0.47), 0.62, 0.1,
                        "drop 21 points from baseline"), severity="warning")
    msg = post(config, story)
    assert buttons(msg.blocks) == ["acknowledge", "silence_24h"]
    acked = acted_blocks(msg.blocks, "acknowledged", user="U1", at=ACTED_AT, value=VALUE)
    assert buttons(acked) == ["silence_24h"]


def test_a_reply_with_many_changes_stays_one_block_of_changes() -> None:
    from monitor.notify.body import MessageBody, Note

    notes = tuple(Note(f"rule_{i} (system s{i}) joined") for i in range(60))
    message = block_kit(MessageBody("reply", "#1 commit c: 60 changes", "warning",
                                    "#1: rule_0 joined", (), notes))
    assert len(message.blocks) == 1 <= MAX_BLOCKS
    said = message.blocks[0]["text"]["text"]
    assert "rule_0 (system s0) joined" in said and "rule_59 (system s59) joined" in said
