import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import ConfigError, parse_config
from tests.minimal_config import CARD_RULES, GOOD_RULE

ROOT = Path(__file__).resolve().parent.parent


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "alerts.yaml")
    return [(loc.line, msg) for loc, msg in info.value.problems]


def test_shipped_alerts_yaml_is_valid() -> None:
    config = parse_config((ROOT / "alerts.yaml").read_text(), "alerts.yaml")
    assert {r.metric for r in config.rules} >= {"hit_rate", "mismatch_share", "vegas_coverage"}
    hit = next(r for r in config.rules if r.metric == "hit_rate")
    assert hit.below == 0.55 and hit.min_sample >= 100 and hit.evidence == "sequence"


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


def located(text: str) -> list[tuple[str, str]]:
    """Each problem as ("file:line:col", message)."""
    with pytest.raises(ConfigError) as info:
        parse_config(text, "alerts.yaml")
    return [(str(loc), msg) for loc, msg in info.value.problems]


@pytest.mark.parametrize(("line", "where"), [
    ("    min_sample: '100'", "alerts.yaml:7:17: rules.0.min_sample"),
    ("    min_sample: 100.0", "alerts.yaml:7:17: rules.0.min_sample"),
    ("    min_sample: true", "alerts.yaml:7:17: rules.0.min_sample"),
    ("    resolve: {after_runs: '2'}", "alerts.yaml:7:27: rules.0.resolve.after_runs"),
])
def test_a_count_is_an_integer_not_text_a_float_or_a_boolean(line: str, where: str) -> None:
    (found, msg), = located(GOOD_RULE + line + "\n" + CARD_RULES)
    assert f"{found}: {msg}".startswith(where) and "valid integer" in msg


@pytest.mark.parametrize(("value", "col"), [("true", 12), ("'0.55'", 12), ("false", 12),
                                             ('"0.55"', 12)])
def test_a_threshold_is_a_number_not_text_or_a_boolean(value: str, col: int) -> None:
    text = GOOD_RULE.replace("below: 0.55", f"below: {value}") + CARD_RULES
    (found, msg), = located(text)
    assert found == f"alerts.yaml:4:{col}" and msg.startswith("rules.0.below")
    assert "valid number" in msg
    # Settings too: text where a number belongs is refused, not read as that number.
    (found, msg), = located("settings:\n  edge_threshold: '3'\n" + GOOD_RULE + CARD_RULES)
    assert found == "alerts.yaml:2:19" and msg.startswith("settings.edge_threshold")
    # A whole number is a number.
    assert parse_config(GOOD_RULE.replace("below: 0.55", "below: 1") + CARD_RULES,
                        "alerts.yaml").rules[0].below == 1.0


@pytest.mark.parametrize("duration", ["0s", "0m", "0d"])
def test_a_duration_is_positive(duration: str) -> None:
    (found, msg), = located(GOOD_RULE + f"    repeat_interval: {duration}\n" + CARD_RULES)
    assert found == "alerts.yaml:7:22" and msg.startswith("rules.0.repeat_interval")
    assert "positive" in msg
    text = (f"settings:\n  freshness:\n    expected_batch_before_tipoff: {duration}\n"
            + GOOD_RULE + CARD_RULES)
    (found, msg), = located(text)
    assert found == "alerts.yaml:3:35" and "positive" in msg


def test_a_duration_past_ten_years_is_an_error_with_its_line_not_an_overflow() -> None:
    (found, msg), = located(GOOD_RULE + "    repeat_interval: 999999999999999d\n" + CARD_RULES)
    assert found == "alerts.yaml:7:22" and "longer than 3650 days" in msg


@pytest.mark.parametrize(("char", "name"), [("\x00", "U+0000 (NUL)"), ("\x07", "U+0007 (BEL)"),
                                            ("\x1b", "U+001B (ESC)")])
def test_a_control_character_in_the_file_is_an_error_with_its_line(
        char: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD_RULE + f"    description: red {char}[31m alert\n" + CARD_RULES
    (found, msg), = located(text)
    assert found == "alerts.yaml:7:22" and msg.startswith(f"character {name} is not allowed")
    path = tmp_path / "alerts.yaml"
    path.write_text(text)
    assert main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:7:22: character {name}" in err
    assert "unexpected error" not in err and char not in err


def test_a_card_check_whose_only_rule_can_never_match_is_an_error_naming_its_line() -> None:
    # hit_rate's windows are settings.hit_rate_windows_days (7d, 28d) and each commit's.
    (found, msg), = located(GOOD_RULE + "    only: {window: 8d}\n" + CARD_RULES)
    assert found == "alerts.yaml:7:12"
    assert msg.startswith("rules.0.only.window: window is never '8d' on hit_rate (it is 7d, "
                          "28d, commit), so the rule can never match; no other rule on the "
                          "'hit_rate_by_commit' check can")
    (found, msg), = located(GOOD_RULE + "    unless: {window: [7d, 28d, commit]}\n"
                            + CARD_RULES)
    assert found == "alerts.yaml:7:14" and msg.startswith(
        "rules.0.unless.window: window takes no value on hit_rate outside 7d, 28d, commit")
    # The windows configured decide.
    assert parse_config("settings:\n  hit_rate_windows_days: [8]\n" + GOOD_RULE
                        + "    only: {window: 8d}\n" + CARD_RULES, "alerts.yaml")
    # A rule that can match beside it: the check is judged, the config loads.
    other = GOOD_RULE.split("rules:\n")[1].replace("hit_rate_low", "hit_rate_7d")
    assert parse_config(GOOD_RULE + "    only: {window: 8d}\n" + other + CARD_RULES,
                        "alerts.yaml")
    # Labels the data decides (systems, commits) are never judged unmatchable.
    assert parse_config(GOOD_RULE + "    only: {system_id: nobody}\n" + CARD_RULES,
                        "alerts.yaml")


def test_a_feature_rule_unless_every_feature_it_counts_cannot_stand_for_its_check() -> None:
    # sentinel_share is observed for the features with a sentinel: with the seed's two,
    # excluding both leaves it nothing.
    rules = ("rules:\n"
             "  - name: defaults\n"
             "    metric: sentinel_share\n"
             "    above: 0.1\n"
             "    severity: critical\n"
             "    group_by: [system_id]\n"
             "    unless: {feature: [has_vegas_line, ppm_avg_last_10]}\n")
    rest = GOOD_RULE.split("rules:\n")[1] + CARD_RULES.split("  - name: coverage_low")[0] \
        .replace("metric: mismatch_share", "metric: vegas_coverage").replace(
        "above: 0.05", "drop_from_baseline: 0.1")
    (found, msg), = located(rules + rest)
    assert found == "alerts.yaml:7:14" and msg.startswith(
        "rules.0.unless.feature: feature takes no value on sentinel_share outside "
        "has_vegas_line, ppm_avg_last_10")
