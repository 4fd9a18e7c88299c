"""One message body, three formatters: Block Kit, terminal text and markdown. Each
escapes the text from the data for its own output; none is parsed back from another."""

from __future__ import annotations

import json
import re

import pytest

from monitor.config import MonitorConfig, Rule
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
from monitor.notify.message import alert_body, resolved_body
from monitor.rules.state import AlertState, Evidence, fingerprint

HOSTILE = "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J\r\x9b31m<!channel> *b* `c` [x](y)"
# What a terminal would act on: ESC, BEL, CR, C1 (CSI 0x9b) — none may be printed raw.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def hostile_state() -> AlertState:
    labels = (("build_commit_sha", HOSTILE), ("system_id", "catboost_v8"))
    ev = Evidence("mismatch_share", 0.9, 40, (0.8, 0.95), None, 0.05, f"reason {HOSTILE}",
                  ("2026-01-09",), (("deployment_revision", HOSTILE),))
    return AlertState(fingerprint("r", labels), "vegas_line_feature_mismatch", "critical",
                      labels, active=True, evidence=ev)


def rule(config: MonitorConfig) -> Rule:
    return next(r for r in config.rules if r.name == "vegas_line_feature_mismatch")


def test_text_and_markdown_never_carry_a_control_character_from_the_data(
        config: MonitorConfig) -> None:
    for body in (alert_body(rule(config), [hostile_state()]),
                 resolved_body(rule(config), [hostile_state()])):
        for out in (text(body), markdown(body)):
            assert not RAW_CONTROL.search(out), repr(out)
            assert "\\x1b" in out and "\\x07" in out  # shown, not acted on
    # Newlines of our own layout stay; one from the data does not split a line.
    assert "\\n" in text(alert_body(rule(config), [
        AlertState("f", "r", "critical", (("system_id", "a\nb"),), active=True)]))


def test_markdown_escapes_markup_from_the_data() -> None:
    assert md("<!channel> *b* _i_ [x](y) a|b") == (
        "\\<\\!channel\\> \\*b\\* \\_i\\_ \\[x\\](y) a\\|b")
    assert md("a & b") == "a &amp; b"
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"


def test_block_kit_escapes_mrkdwn_once(config: MonitorConfig) -> None:
    payload = json.dumps(block_kit(alert_body(rule(config), [hostile_state()])).payload())
    assert "<!channel>" not in payload and "&lt;!channel&gt;" in payload
    assert "&amp;lt;" not in payload  # escaped once, not twice


def test_text_reads_as_the_slack_message_does(config: MonitorConfig) -> None:
    state = AlertState(fingerprint("r", (("build_commit_sha", "0b5e11ad"),)),
                       "vegas_line_feature_mismatch", "critical",
                       (("build_commit_sha", "0b5e11ad"), ("system_id", "catboost_v8")),
                       active=True, evidence=Evidence(
                           "mismatch_share", 0.864, 162, (0.803, 0.909), None, 0.05,
                           "lower bound 80.3% > 5.0%", ("2026-01-09",)))
    out = text(alert_body(rule(config), [state]))
    assert out.splitlines()[:5] == [
        "CRITICAL: vegas_line_feature_mismatch firing",
        f"{rule(config).description} — 1 label set affected",
        "  commit 0b5e11ad · system catboost_v8",
        "    mismatch_share 86.4% (n=162, 95% CI 80.3%–90.9%); rule: above 5.0%",
        "    lower bound 80.3% > 5.0%",
    ]
    assert out.splitlines()[-1].startswith("Runbook: ")
    assert text(resolved_body(rule(config), [state])).splitlines() == [
        "Resolved: vegas_line_feature_mismatch is clear for 2 runs",
        "  commit 0b5e11ad · system catboost_v8"]


def body_of(groups: int, rows: int) -> MessageBody:
    row = EvidenceRow((Fact("commit", "c"),), Numbers("m", "1", ("n=1",), "above 0"),
                      "why", (Fact("hint", "h"),))
    return MessageBody("firing", "T", "critical", "T", tuple(
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
