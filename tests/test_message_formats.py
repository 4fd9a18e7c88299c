"""One message body, three formatters: Block Kit, terminal text and markdown. Each
escapes the text from the data for its own output; none is parsed back from another."""

from __future__ import annotations

import json
import re

import pytest

from monitor.config import MonitorConfig
from monitor.notify.body import (
    Action,
    AlertGroup,
    EvidenceRow,
    Fact,
    Link,
    MessageBody,
    Note,
    Numbers,
)
from monitor.notify.formats.block_kit import MAX_BLOCKS, block_kit
from monitor.notify.formats.markdown import code, markdown, md
from monitor.notify.formats.text import text
from monitor.notify.incident_message import incident_body, reminder_body, reply_body
from monitor.rules.state import Evidence
from tests.incident_bodies import MISMATCH, OPENED, H, Story, labels, rules_of

HOSTILE = "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J\r\x9b31m<!channel> *b* `c` [x](y)"
# What a terminal would act on: ESC, BEL, CR, C1 (CSI 0x9b) — none may be printed raw.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
RULE = "vegas_line_feature_mismatch"


def hostile_story() -> Story:
    """An incident on a commit named by the data, its member's labels, reason and
    context from the data too; it fires, is posted, a second system joins."""
    ev = Evidence("mismatch_share", 0.9, 40, (0.8, 0.95), None, 0.05, f"reason {HOSTILE}",
                  ("2026-01-09",), (("deployment_revision", HOSTILE),))
    story = Story(key=f"commit:{HOSTILE}")
    story.fire(RULE, labels(commit=HOSTILE), ev).posted()
    story.fire(RULE, labels("ensemble_v1", commit=HOSTILE), ev, at=OPENED + H)
    return story


def bodies(config: MonitorConfig, story: Story) -> list[MessageBody]:
    """The incident's top-level message, its reply and its reminder."""
    inc, alerts, rules = story.incident(), story.alerts(), rules_of(config)
    hints = (Fact("deployment_revision", HOSTILE), Fact(HOSTILE, "x"))
    return [incident_body(inc, alerts, rules, hints=hints),
            reply_body(inc, inc.unannounced, alerts, rules),
            reminder_body(inc, alerts, rules, OPENED + 24 * H)]


def test_text_and_markdown_never_carry_a_control_character_from_the_data(
        config: MonitorConfig) -> None:
    for body in bodies(config, hostile_story()):
        for out in (text(body), markdown(body)):
            assert not RAW_CONTROL.search(out), repr(out)
            assert "\\x1b" in out and "\\x07" in out  # shown, not acted on
    # The commit reaches the title and the lead: both are shown escaped.
    post = bodies(config, hostile_story())[0]
    assert all("\x1b" in t for t in (post.title, post.lead, post.facts[1].name))
    for out in (text(post), markdown(post)):
        title, lead = [line for line in out.splitlines() if line.strip()][:2]
        # (markdown escapes the backslash too: it reads \x1b rendered)
        assert re.search(r"commit \\+x1b", title) and re.search(r"commit \\+x1b", lead)
    # Newlines of our own layout stay; one from the data does not split a line.
    story = Story(key="system_id=a\nb")
    story.fire(RULE, (("system_id", "a\nb"),), MISMATCH)
    out = text(bodies(config, story)[0])
    assert "\\n" in out and "a\nb" not in out


def test_markdown_escapes_markup_from_the_data() -> None:
    assert md("<!channel> *b* _i_ [x](y) a|b") == (
        "\\<\\!channel\\> \\*b\\* \\_i\\_ \\[x\\](y) a\\|b")
    assert md("a & b") == "a &amp; b"
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"


def test_block_kit_escapes_mrkdwn_once(config: MonitorConfig) -> None:
    for body in bodies(config, hostile_story()):
        payload = json.dumps(block_kit(body).payload())
        assert "<!channel>" not in payload and "&lt;!channel&gt;" in payload
        assert "&amp;lt;" not in payload  # escaped once, not twice


def test_the_header_is_plain_text_without_angle_brackets(config: MonitorConfig) -> None:
    """Slack draws no mention in a plain_text header, but `<` and `>` never reach it."""
    story = Story(key="system_id=<!channel> *b*", severity="warning")
    story.fire("vegas_coverage_drop", (("system_id", "<!channel> *b*"),), MISMATCH,
               severity="warning")
    header = block_kit(bodies(config, story)[0]).blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert header["text"]["text"] == "WARNING #1: system_id=‹!channel› *b* (open)"


def test_text_reads_as_the_slack_message_does(config: MonitorConfig) -> None:
    story = Story()
    story.fire(RULE, labels(), MISMATCH)
    rule = rules_of(config)[RULE]
    out = text(incident_body(story.incident(), story.alerts(), rules_of(config),
                             hints=(Fact("feature_source_mode", "backfill"),)))
    assert out.splitlines() == [
        "CRITICAL #1: commit 0b5e11ad (open)",
        f"commit 0b5e11ad on catboost_v8: {RULE} firing, since 2026-01-09 13:18 UTC",
        "feature_source_mode: backfill",
        f"{RULE}: {rule.description} — 1 label set affected",
        "  commit 0b5e11ad · system catboost_v8",
        "    mismatch_share 83.6% (n=134, 95% CI 76.4%–88.9%); rule: above 5.0%",
        "    lower bound 76.4% > 5.0%",
        "    game dates: 2026-01-09 (1) · first_predicted_at: 2026-01-09 13:18 UTC · "
        "deployment_revision: prediction-worker-00011-0b5",
        f"Runbook: {RULE}: runbooks.md#{RULE}",
        "Incident #1 · opened 2026-01-09 15:15 UTC · last change 2026-01-09 15:15 UTC"]
    later = OPENED + 2 * H
    story.posted().resolve(RULE, labels(), at=later).closed(later)
    inc = story.incident()
    # A reply says what changed first.
    assert text(reply_body(inc, inc.unannounced, story.alerts(), rules_of(config))
                ).splitlines() == [
        "#1 commit 0b5e11ad: 2 changes",
        f"{RULE} (system catboost_v8) resolved",
        "Incident #1 resolved: every alert is clear."]


def body_of(groups: int, rows: int) -> MessageBody:
    row = EvidenceRow((Fact("commit", "c"),), Numbers("m", "1", ("n=1",), "above 0"),
                      "why", (Fact("hint", "h"),))
    return MessageBody("incident", "T", "critical", "T", tuple(
        AlertGroup(f"rule_{i}", "warning", "s", rows, (row,) * rows,
                   (Link("Runbook", f"https://r/{i}"),)) for i in range(groups)),
        (Note("n"),), (Action("acknowledge", "v"),))


@pytest.mark.parametrize(("groups", "rows"), [(1, 20), (3, 20), (8, 5), (30, 1)])
def test_a_body_of_several_rules_fits_slack_and_counts_what_it_leaves_out(
        groups: int, rows: int) -> None:
    """One body may carry several rules' alerts (an incident's members); past Slack's
    50 blocks rows are left out first, then whole rules, each counted."""
    body = body_of(groups, rows)
    blocks = block_kit(body).blocks
    assert len(blocks) <= MAX_BLOCKS and blocks[-1]["type"] == "actions"
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    shown = sum(1 for t in texts if "*commit*" in t)
    more = [int(t.split()[1]) for t in texts if t.startswith("and ") and "rule" not in t]
    left = [t for t in texts if t.startswith("and ") and " more rule" in t]
    left_rules = int(left[0].split()[1]) if left else 0
    left_sets = int(left[0].split("(")[1].split()[0]) if left else 0
    assert bool(left) == (groups == 30)
    assert shown + sum(more) + left_sets == groups * rows
    assert sum(1 for b in blocks if "Runbook>" in json.dumps(b)) + left_rules == groups
    assert text(body).count("rule_") == 0 and text(body).count("https://r/") == groups
    assert markdown(body).count("- **commit** `c`") == groups * rows
