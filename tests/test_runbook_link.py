"""A rule's runbook_url: absolute is a link as written; relative (`runbooks.md#RULE`,
docs/runbooks.md) is joined to settings.runbook_base_url, and without one it is text."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError, MonitorConfig, parse_config
from monitor.cycle import BUILT_IN_RULES
from monitor.notify.formats.block_kit import block_kit
from monitor.notify.incident_message import incident_body
from monitor.report.format import runbook_link
from tests.incident_bodies import MISMATCH, Story, labels, rules_of

ROOT = Path(__file__).resolve().parent.parent
# The shipped rules, after a settings block of the test's own.
RULES = "rules:" + (ROOT / "alerts.yaml").read_text().split("\nrules:", 1)[1]


def test_a_relative_runbook_url_is_joined_to_the_base() -> None:
    url = "https://docs.test/prediction-monitor/runbooks.md#hit_rate_below_55"
    for base in ("https://docs.test/prediction-monitor/", "https://docs.test/prediction-monitor"):
        assert runbook_link("runbooks.md#hit_rate_below_55", base) == (url, url)


def test_a_relative_runbook_url_without_a_base_is_text_not_a_link() -> None:
    assert runbook_link("runbooks.md#hit_rate_below_55", None) == (
        "runbooks.md#hit_rate_below_55", None)


def test_an_absolute_runbook_url_is_left_alone() -> None:
    url = "https://wiki.test/runbooks/hit-rate#below-55"
    assert runbook_link(url, None) == (url, url)
    assert runbook_link(url, "https://docs.test/prediction-monitor/") == (url, url)


def runbook_block(config: MonitorConfig, base: str | None) -> str:
    story = Story()
    story.fire("vegas_line_feature_mismatch", labels(), MISMATCH)
    msg = block_kit(incident_body(story.incident(), story.alerts(), rules_of(config),
                                  runbook_base_url=base))
    text: str = next(b["text"]["text"] for b in msg.blocks
                     if b["type"] == "section" and "Runbook" in b["text"]["text"])
    return text


def test_the_incident_message_links_the_runbook_only_under_a_base(
        config: MonitorConfig) -> None:
    assert runbook_block(config, None) == (
        "Runbook: vegas_line_feature_mismatch: `runbooks.md#vegas_line_feature_mismatch`")
    assert runbook_block(config, "https://docs.test/pm/") == (
        "<https://docs.test/pm/runbooks.md#vegas_line_feature_mismatch|"
        "Runbook: vegas_line_feature_mismatch>")


def test_the_base_is_a_setting_and_defaults_to_none(config: MonitorConfig) -> None:
    assert config.settings.runbook_base_url is None
    parsed = parse_config("settings:\n  runbook_base_url: https://docs.test/pm/\n" + RULES,
                          "a.yaml")
    assert parsed.settings.runbook_base_url == "https://docs.test/pm/"


@pytest.mark.parametrize("base", ["docs/", "ftp://docs.test/", "https://", "https://docs.test/a b"])
def test_a_base_that_is_no_http_url_is_a_config_error_with_its_line(base: str) -> None:
    with pytest.raises(ConfigError, match=r"a\.yaml:2:.*runbook_base_url"):
        parse_config(f"settings:\n  runbook_base_url: '{base}'\n" + RULES, "a.yaml")


def test_the_built_in_rules_have_runbooks_too() -> None:
    assert [r.runbook_url for r in BUILT_IN_RULES] == [
        f"runbooks.md#{r.name}" for r in BUILT_IN_RULES]
