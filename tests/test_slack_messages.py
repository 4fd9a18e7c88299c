"""Block Kit payloads pinned by golden files. Regenerate on purpose with
UPDATE_GOLDEN=1 pytest tests/test_slack_messages.py, then review the diff."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.config import MonitorConfig, Rule
from monitor.notify.formats.block_kit import (
    MAX_BLOCKS,
    MAX_TEXT,
    SlackMessage,
    block_kit,
    escape,
)
from monitor.notify.message import alert_body, resolved_body
from monitor.rules.state import AlertState, Evidence, fingerprint
from tests.golden_files import assert_golden, golden_json


def state(commit: str, system: str = "catboost_v8", n: int = 162,
          dates: tuple[str, ...] = ("2026-01-09",)) -> AlertState:
    labels = (("build_commit_sha", commit), ("system_id", system))
    ev = Evidence("mismatch_share", 0.864, n, (0.803, 0.909), None, 0.05,
                  "lower bound 80.3% > 5.0%", dates,
                  (("deployment_revision", "prediction-worker-00010"),
                   ("first_predicted_at", "2026-01-09T13:27:46.573491+00:00")))
    return AlertState(fingerprint("r", labels), "vegas_line_feature_mismatch", "critical",
                      labels, active=True, evidence=ev, slack_ts="1767225600.000001")


def alert_message(rule: Rule, alerts: list[AlertState], **kwargs: Any) -> SlackMessage:
    return block_kit(alert_body(rule, alerts, **kwargs))


def resolved_message(rule: Rule, alerts: list[AlertState]) -> SlackMessage:
    return block_kit(resolved_body(rule, alerts))


def rule(config: MonitorConfig, name: str) -> Rule:
    return next(r for r in config.rules if r.name == name)


def check_golden(name: str, message: SlackMessage) -> None:
    assert_golden(f"{name}.json", golden_json(message.payload()))


PROVENANCE = {"0b5e11ad": {"commit first seen": "2026-01-09T13:11:26+00:00",
                           "feature_source_mode": "backfill",
                           "deployment_revision": "prediction-worker-00010-0b5"}}


def test_firing_message(config: MonitorConfig) -> None:
    msg = alert_message(rule(config, "vegas_line_feature_mismatch"), [state("0b5e11ad")],
                        provenance=PROVENANCE)
    check_golden("alert_firing", msg)


def test_repeat_message_lists_every_label_set(config: MonitorConfig) -> None:
    alerts = [state("0b5e11ad"), state("0b5e11ad", system="ensemble_v1", n=140,
                                       dates=("2026-01-09", "2026-01-10", "2026-01-11"))]
    msg = alert_message(rule(config, "vegas_line_feature_mismatch"), alerts, kind="repeat",
                        provenance=PROVENANCE)
    check_golden("alert_repeat", msg)


def test_resolved_message(config: MonitorConfig) -> None:
    check_golden("alert_resolved",
                 resolved_message(rule(config, "vegas_line_feature_mismatch"),
                                  [state("0b5e11ad")]))


def test_long_lists_are_cut_within_slack_limits(config: MonitorConfig) -> None:
    alerts = [state(f"{i:08x}", system=f"shadow_{i:03d}") for i in range(120)]
    msg = alert_message(rule(config, "vegas_line_feature_mismatch"), alerts)
    assert len(msg.blocks) <= MAX_BLOCKS
    assert msg.blocks[-3]["text"]["text"] == "and 100 more"
    # The buttons act on every alert listed, as far as Slack's 2,000 characters go.
    value = msg.blocks[-1]["elements"][0]["value"]
    assert len(value) <= 2000 and value.split(",") == [a.fingerprint for a in alerts][:117]
    huge = state("x" * 5000)
    msg = alert_message(rule(config, "vegas_line_feature_mismatch"), [huge])
    for block in msg.blocks:
        texts = [block["text"]["text"]] if "text" in block else \
            [e["text"] for e in block.get("elements", [])]
        assert all(len(t) <= MAX_TEXT for t in texts)
    check_golden("alert_cut", alert_message(rule(config, "vegas_line_feature_mismatch"),
                                            alerts[:23]))


@pytest.mark.parametrize("raw, safe", [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<https://x|y>", "&lt;https://x|y&gt;"),
    ("a & b", "a &amp; b"),
    ("&lt;", "&amp;lt;"),
])
def test_escape(raw: str, safe: str) -> None:
    assert escape(raw) == safe


def test_header_is_plain_text_and_clipped(config: MonitorConfig) -> None:
    long_rule = rule(config, "vegas_line_feature_mismatch").model_copy(
        update={"name": "x" * 200})
    header = alert_message(long_rule, [state("a")]).blocks[0]
    assert header["text"]["type"] == "plain_text" and len(header["text"]["text"]) <= 150




def test_buttons_after_each_action_and_who_acted(config: MonitorConfig) -> None:
    import datetime as dt

    from monitor.notify.formats.block_kit import acted_blocks

    original = alert_message(rule(config, "vegas_line_feature_mismatch"),
                             [state("0b5e11ad")], provenance=PROVENANCE)
    value = original.blocks[-1]["elements"][0]["value"]
    at = dt.datetime(2026, 1, 9, 16, 5, tzinfo=dt.UTC)
    acked = acted_blocks(original.blocks, "acknowledged", user="U024BE7LH", at=at, value=value)
    check_golden("alert_acknowledged", SlackMessage(original.text, acked))
    silenced = acted_blocks(acked, "silence", user="U024BE7LH", at=at, value=value,
                            until=at + dt.timedelta(hours=24))
    check_golden("alert_silenced", SlackMessage(original.text, silenced))
    # The note and the buttons are replaced, not piled up.
    assert len(silenced) == len(acked) == len(original.blocks) + 1
    assert [e["action_id"] for e in silenced[-1]["elements"]] == ["unsilence"]
    back = acted_blocks(silenced, "unsilence", user="U2", at=at, value=value)
    assert [e["action_id"] for e in back[-1]["elements"]] == ["acknowledge", "silence_24h"]
    # Something that is not a user id is never a mention.
    odd = acted_blocks(original.blocks, "acknowledged", user="<!channel>", at=at, value=value)
    assert "&lt;!channel&gt;" in odd[-2]["elements"][0]["text"]


def test_resolved_and_fired_resolved_messages_have_no_buttons(config: MonitorConfig) -> None:
    r = rule(config, "vegas_line_feature_mismatch")
    for msg in (resolved_message(r, [state("a")]),
                alert_message(r, [state("a")], kind="fired_resolved")):
        assert all(b["type"] != "actions" for b in msg.blocks)
