import subprocess
import sys
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


# One rule on each of the card's other checks: a config needs them to be valid.
CARD_RULES = """\
  - name: mismatch_high
    metric: mismatch_share
    above: 0.05
    severity: critical
    group_by: [system_id]
  - name: coverage_low
    metric: vegas_coverage
    drop_from_baseline: 0.1
    severity: warning
    group_by: [system_id]
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
    config = parse_config(GOOD_RULE + CARD_RULES, "alerts.yaml")
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


@pytest.mark.parametrize("text", ["", "# nothing here\n", "version: 1\n", "rules: []\n"])
def test_a_config_without_rules_is_an_error_not_a_quiet_ok(text: str) -> None:
    found = problems(text)
    assert [msg.split("'")[1] for _, msg in found] == [
        "hit_rate_by_commit", "feature_defaults", "vegas_coverage_trend"]
    assert all("no rule on the" in msg for _, msg in found)


def test_each_card_check_needs_a_rule_named_by_line() -> None:
    (line, msg), = problems(GOOD_RULE + CARD_RULES.split("  - name: coverage_low")[0])
    assert line == 1 and "'vegas_coverage_trend'" in msg and "vegas_coverage" in msg


@pytest.mark.parametrize(("metric", "condition", "value", "why"), [
    ("mismatch_share", "above", ".nan", "finite number"),
    ("mismatch_share", "above", ".inf", "finite number"),
    ("hit_rate", "below", "5.0", "out of range"),
    ("features_missing_share", "above", "-0.5", "out of range"),
    ("coverage_delta", "below", "-1.5", "out of range"),
    ("vegas_coverage", "drop_from_baseline", "2", "more than"),
])
def test_thresholds_out_of_range_or_nan_are_rejected_with_their_line(
        metric: str, condition: str, value: str, why: str) -> None:
    rule = (f"  - name: bad\n    metric: {metric}\n    {condition}: {value}\n"
            "    severity: warning\n    group_by: [system_id]\n")
    (line, msg), = problems(GOOD_RULE + CARD_RULES + rule)
    assert line == 19 and why in msg and f"rules.3.{condition}" in msg


def test_nan_anywhere_in_settings_is_rejected() -> None:
    (line, msg), = problems("settings:\n  edge_threshold: .nan\n" + GOOD_RULE + CARD_RULES)
    assert line == 2 and "settings.edge_threshold" in msg


def check_config_limited(path: Path) -> subprocess.CompletedProcess[str]:
    """check-config in a child process that may not map more than 512 MiB.

    The child sets its own limit: a preexec_fn would run Python between fork and exec,
    where gRPC's fork handlers (loaded by earlier tests in this process) can abort it."""
    bootstrap = ("import resource, runpy, sys; "
                 "resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20)); "
                 "sys.argv = ['monitor', *sys.argv[1:]]; "
                 "runpy.run_module('monitor', run_name='__main__')")
    return subprocess.run([sys.executable, "-c", bootstrap, "check-config", "--config",
                           str(path)], capture_output=True, text=True, timeout=120,
                          check=False)


def test_alias_bomb_is_a_clear_error_within_512_mib(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = tmp_path / "alerts.yaml"
    bomb.write_text("\n".join(lines) + "\n")  # 9**9 = 387 million values
    done = check_config_limited(bomb)
    assert done.returncode == 2, done.stderr
    assert f"{bomb}:" in done.stderr and "aliases" in done.stderr
    assert "Traceback" not in done.stderr


def test_non_utf8_config_is_a_clear_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_bytes(GOOD_RULE.encode() + b"    description: caf\xe9\n")
    done = check_config_limited(path)
    assert done.returncode == 2
    assert f"{path}:7:" in done.stderr and "not UTF-8" in done.stderr
    assert "Traceback" not in done.stderr
