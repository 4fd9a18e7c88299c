from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import ConfigError, parse_config

ROOT = Path(__file__).resolve().parent.parent

GOOD_RULE = """\
rules:
  - name: hit_rate_low
    metric: hit_rate
    below: 0.55
    severity: critical
    group_by: [system_id, build_commit_sha]
"""


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "alerts.yaml")
    return [(loc.line, msg) for loc, msg in info.value.problems]


def test_shipped_alerts_yaml_is_valid() -> None:
    config = parse_config((ROOT / "alerts.yaml").read_text(), "alerts.yaml")
    assert {r.metric for r in config.rules} >= {"hit_rate", "mismatch_share", "vegas_coverage"}
    hit = next(r for r in config.rules if r.metric == "hit_rate")
    assert hit.below == 0.55 and hit.min_sample >= 100 and hit.evidence == "interval"


def test_good_rule_parses_with_defaults() -> None:
    config = parse_config(GOOD_RULE, "alerts.yaml")
    rule = config.rules[0]
    assert rule.repeat_interval.total_seconds() == 24 * 3600
    assert rule.resolve.after_runs == 2 and rule.evidence == "interval"


def test_unknown_key_names_its_line() -> None:
    text = GOOD_RULE + "    colour: red\n"
    assert problems(text) == [(7, "rules.0.colour: unknown key")]


def test_unknown_metric_and_bad_duration_are_all_reported_with_lines() -> None:
    text = GOOD_RULE.replace("metric: hit_rate", "metric: hit_rat") + \
        "    repeat_interval: soon\n"
    found = problems(text)
    assert found[0][0] == 7 and "bad duration 'soon'" in found[0][1]
    text = GOOD_RULE.replace("metric: hit_rate", "metric: hit_rat")
    (line, msg), = problems(text)
    assert line == 3 and "unknown metric 'hit_rat'" in msg and "hit_rate" in msg


def test_label_the_metric_lacks_is_an_error() -> None:
    text = GOOD_RULE.replace("[system_id, build_commit_sha]", "[system_id, game_date]")
    (line, msg), = problems(text)
    assert line == 6 and "has no label 'game_date'" in msg


def test_duplicate_key_and_yaml_syntax_errors_have_lines() -> None:
    assert problems("version: 1\nversion: 1\n") == [(2, "duplicate key 'version'")]
    (line, _), = problems("rules:\n  - name: [unclosed\n")
    assert line == 3


def test_condition_must_be_exactly_one() -> None:
    text = GOOD_RULE.replace("    below: 0.55\n", "    below: 0.55\n    above: 0.9\n")
    (line, msg), = problems(text)
    assert line == 2 and "exactly one condition" in msg


def test_silence_needs_timezone() -> None:
    text = GOOD_RULE + ("    silences:\n      - matchers: {system_id: x}\n"
                        "        expires_at: 2026-02-01T00:00:00\n")
    (line, msg), = problems(text)
    assert line == 9 and "time zone" in msg


def test_check_config_command_uses_the_same_loader(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "alerts.yaml"
    bad.write_text(GOOD_RULE + "    colour: red\n")
    assert main(["check-config", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7:5: rules.0.colour: unknown key" in err
    assert main(["check-config", "--config", str(ROOT / "alerts.yaml")]) == 0
