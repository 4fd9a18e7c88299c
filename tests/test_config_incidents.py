"""alerts.yaml's incident keys: `inhibit_rules:` (validated into typed rules at load, each
problem with its line), `incident:`, the shipped inhibitions and outcome rules'
`keep_firing_for`, and silences matching an alert's cause key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.config import (
    BUILT_IN_RULE_NAMES,
    ConfigError,
    MonitorConfig,
    Silence,
    parse_config,
)
from monitor.cycle import BUILT_IN_RULES
from monitor.matchers import InhibitRule, parse_matcher
from monitor.rules.inhibit import Firing, inhibit_rules_of, inhibited_by
from monitor.rules.state import Candidate, Evidence, cause_key, fold, transition
from tests.minimal_config import MINIMAL

ROOT = Path(__file__).resolve().parent.parent
BASE = MINIMAL  # the smallest valid file
T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
SHA = "0b5e11ad" * 5


def located(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "alerts.yaml")
    return [(str(loc), msg) for loc, msg in info.value.problems]


def inhibit(source: str, target: str, equal: str = "[build_commit_sha]") -> str:
    return ("inhibit_rules:\n"
            f"  - source_matchers: [{source}]\n"
            f"    target_matchers: [{target}]\n"
            f"    equal: {equal}\n")


def test_inhibit_rules_load_into_typed_rules_in_file_order() -> None:
    text = BASE + inhibit("'rule=\"mismatch_high\"'", "rule=~\"hit_rate_.*\"") + (
        "  - source_matchers: ['severity=\"critical\"']\n"
        "    target_matchers: [severity!=critical, 'system_id!~\"v[0-9]+\"']\n")
    config = parse_config(text, "alerts.yaml")
    assert inhibit_rules_of(config) == (
        InhibitRule((parse_matcher('rule="mismatch_high"'),),
                    (parse_matcher('rule=~"hit_rate_.*"'),), ("build_commit_sha",)),
        InhibitRule((parse_matcher('severity="critical"'),),
                    (parse_matcher("severity!=critical"), parse_matcher('system_id!~"v[0-9]+"')),
                    ()))
    # Written back as the text it was read from.
    assert config.model_dump()["inhibit_rules"][0]["target_matchers"] == ['rule=~"hit_rate_.*"']
    assert inhibit_rules_of(parse_config(BASE, "alerts.yaml")) == ()


def firing(rule: str, severity: str = "critical", commit: str = "bad",
           system: str = "v8") -> Firing:
    return Firing(f"{rule}/{commit}/{system}", rule, severity,
                  (("build_commit_sha", commit), ("system_id", system)))


def test_matchers_read_from_the_file_inhibit_as_alertmanager_does() -> None:
    text = BASE + inhibit("'rule=\"mismatch_high\"'", "rule=~\"hit_rate_.*\"") + (
        "  - source_matchers: [severity=critical]\n"
        "    target_matchers: [severity!=critical]\n"
        "    equal: [build_commit_sha, system_id]\n")
    rules = inhibit_rules_of(parse_config(text, "alerts.yaml"))
    cause, symptom = firing("mismatch_high"), firing("hit_rate_low")
    assert inhibited_by([cause, symptom], rules) == {symptom.fingerprint: cause.fingerprint}
    # `=~` matches the whole value: x_hit_rate_low does not match hit_rate_.*.
    other = firing("x_hit_rate_low", "warning", system="v9")
    assert inhibited_by([cause, other], rules[:1]) == {}
    # equal: another commit's symptom is not explained by this commit's cause.
    assert inhibited_by([cause, firing("hit_rate_low", commit="good")], rules) == {}
    # The second rule: a critical inhibits a warning of the same system and commit only.
    warning = firing("coverage_low", "warning")
    assert inhibited_by([cause, warning], rules[1:]) == {warning.fingerprint: cause.fingerprint}
    assert inhibited_by([cause, firing("coverage_low", "warning", system="v9")],
                        rules[1:]) == {}


@pytest.mark.parametrize(("entry", "where", "says"), [
    ("  - source_matchers: ['rule==\"x\"']\n    target_matchers: [severity=warning]\n",
     "alerts.yaml:18:23: inhibit_rules.0.source_matchers.0", "is not a matcher"),
    ("  - source_matchers: [severity=critical]\n    target_matchers: ['rule=~\"(a\"']\n",
     "alerts.yaml:19:23: inhibit_rules.0.target_matchers.0", "bad regular expression"),
    ("  - source_matchers: [severity=critical]\n    target_matchers: [{rule: x}]\n",
     "alerts.yaml:19:23: inhibit_rules.0.target_matchers.0", "a matcher is text"),
    ("  - source_matchers: [severity=critical]\n    target_matchers: [severity=warning]\n"
     "    equl: [system_id]\n", "alerts.yaml:20:5: inhibit_rules.0.equl", "unknown key"),
    ("  - source_matchers: []\n    target_matchers: [severity=warning]\n",
     "alerts.yaml:18:22: inhibit_rules.0.source_matchers", "at least 1"),
    ("  - source_matchers: [severity=critical]\n",
     "alerts.yaml:18:5: inhibit_rules.0.target_matchers", "Field required"),
    ("  - source_matchers: [severity=critical]\n    target_matchers: [severity=warning]\n"
     "    equal: [system id]\n", "alerts.yaml:20:13: inhibit_rules.0.equal.0", "pattern"),
    # Checked against the rules that exist (after the file's shapes are right).
    ("  - source_matchers: ['rule=\"mismatch_hgh\"']\n    target_matchers: [severity=warning]\n",
     "alerts.yaml:18:23: inhibit_rules.0.source_matchers.0",
     "no rule is named 'mismatch_hgh' (did you mean 'mismatch_high'?)"),
    ("  - source_matchers: [severity=critical]\n    target_matchers: [severity=warn]\n",
     "alerts.yaml:19:23: inhibit_rules.0.target_matchers.0",
     "'warn' is not a severity; severities: warning, critical"),
])
def test_a_bad_inhibit_rule_stops_start_up_with_its_line(entry: str, where: str,
                                                          says: str) -> None:
    (found, msg), = located(BASE + "inhibit_rules:\n" + entry)
    assert f"{found}: {msg}".startswith(where) and says in msg


def test_a_rule_is_named_by_the_file_or_built_in_and_only_equality_is_checked() -> None:
    built_in = "  - source_matchers: ['rule=\"monitor_check_error\"']\n" \
               "    target_matchers: ['rule=\"critical_feature_absent\"']\n"
    # A pattern or a negation may name anything: it says what it does not match.
    loose = "  - source_matchers: ['rule=~\"nothing_.*\"']\n" \
            "    target_matchers: ['rule!=\"no_such_rule\"']\n"
    config = parse_config(BASE + "inhibit_rules:\n" + built_in + loose, "alerts.yaml")
    assert len(config.inhibit_rules) == 2
    # Every name the cycle has a rule by is known to the config.
    assert sorted(BUILT_IN_RULE_NAMES) == sorted(r.name for r in BUILT_IN_RULES)


def test_incident_settings_default_and_parse_like_rule_durations() -> None:
    config = parse_config(BASE, "alerts.yaml")
    assert (config.incident.repeat_interval, config.incident.reopen_within) == (
        dt.timedelta(hours=24), dt.timedelta(hours=48))
    config = parse_config("incident:\n  repeat_interval: 6h\n  reopen_within: 3d\n" + BASE,
                          "alerts.yaml")
    assert (config.incident.repeat_interval, config.incident.reopen_within) == (
        dt.timedelta(hours=6), dt.timedelta(days=3))
    assert located("incident:\n  repeat_interval: 0s\n  reopen_within: soon\n"
                   "  page_every: 1h\n" + BASE) == [
        ("alerts.yaml:2:20", "incident.repeat_interval: Value error, a duration must be "
                             "positive, e.g. 30m, 4h, 1d"),
        ("alerts.yaml:3:18", "incident.reopen_within: Value error, bad duration 'soon': "
                             "use a number and a unit, e.g. 30m, 4h, 1d"),
        ("alerts.yaml:4:3", "incident.page_every: unknown key")]
    (found, msg), = located("incident:\n  reopen_within: 99999999d\n" + BASE)
    assert found == "alerts.yaml:2:18" and "longer than 3650 days" in msg


SOURCES = ("ppm_default_filled", "vegas_line_feature_mismatch", "backfill_on_stale_commit",
           "batch_blocked", "critical_feature_default_filled", "prediction_edge_collapsed")
OUTCOMES = ("hit_rate_below_55", "mae_drift_detected", "hit_rate_drift_detected",
            "edge_drift_detected")


def test_the_shipped_causes_inhibit_the_outcomes_of_their_commit(config: MonitorConfig) -> None:
    rules = inhibit_rules_of(config)
    names = {r.name for r in config.rules}
    assert set(SOURCES) | set(OUTCOMES) <= names
    for source in SOURCES:
        for target in OUTCOMES:
            cause, symptom = firing(source), firing(target, system="v9")
            # Both systems of one commit: one incident, the cause explains the symptom.
            assert inhibited_by([cause, symptom], rules) == {
                symptom.fingerprint: cause.fingerprint}, (source, target)
            assert inhibited_by([cause, firing(target, commit="other")], rules) == {}
            # Whatever the order, the outcome is the one inhibited, never the cause.
            assert inhibited_by([symptom, cause], rules) == {
                symptom.fingerprint: cause.fingerprint}
    # No other pair explains one another, except the lost edge, which explains the lost
    # hit rate of the same system and commit.
    def explains(a: str, b: str) -> bool:
        return (a in SOURCES and b in OUTCOMES) or (a, b) == (
            "edge_drift_detected", "hit_rate_drift_detected")

    for a in (*SOURCES, *OUTCOMES):
        for b in (*SOURCES, *OUTCOMES):
            if a != b:
                expected = {firing(b).fingerprint: firing(a).fingerprint} if explains(a, b) \
                    else {firing(a).fingerprint: firing(b).fingerprint} if explains(b, a) \
                    else {}
                assert inhibited_by([firing(a), firing(b)], rules) == expected, (a, b)
    assert inhibited_by([firing("edge_drift_detected"),
                         firing("hit_rate_drift_detected", system="v9")], rules) == {}


def test_the_shipped_outcome_rules_ride_over_a_night_of_grading(config: MonitorConfig) -> None:
    kept = {r.name: r.keep_firing_for for r in config.rules if r.keep_firing_for is not None}
    assert kept == dict.fromkeys(OUTCOMES, dt.timedelta(hours=36))
    assert config.incident.repeat_interval == dt.timedelta(hours=24)
    assert config.incident.reopen_within == dt.timedelta(hours=48)


def play(config: MonitorConfig, rule: str, hours_firing: list[bool],
         labels: tuple[tuple[str, str], ...]) -> list[tuple[int, str, str | None]]:
    """An outcome rule's alert cycle by cycle, hourly: (hour, event, detail) of every
    event."""
    rules = {r.name: r for r in config.rules}
    events = []
    ev = Evidence("m", 0.4, 300, (0.35, 0.45), None, 0.55, "below")
    for hour, on in enumerate(hours_firing):
        cand = Candidate(rule, rules[rule].severity, labels, on, ev if on else None)
        events += transition(fold(events), [cand], rules, {rule}, T + dt.timedelta(hours=hour),
                             str(hour))
    return [(int((e.event_time - T).total_seconds() // 3600), e.event_type, e.detail)
            for e in events]


def test_an_outcome_alert_clear_for_one_day_stays_and_for_two_resolves(
        config: MonitorConfig) -> None:
    labels = (("build_commit_sha", SHA), ("system_id", "v8"))
    # A night's grading flips the evidence for a day, then the next night back.
    one_day = [True] + [False] * 24 + [True] * 3
    for rule in OUTCOMES:
        seen = play(config, rule, one_day, labels)
        # The same alert goes on: no resolve, and its return is no new page ("refire"
        # keeps what was said) -- without keep_firing_for it resolved 3 h after the
        # night that cleared it and paged again the next.
        assert [(h, e, d) for h, e, d in seen if e != "clear"] == [
            (0, "fired", None), (25, "fired", "refire")], rule
        seen = play(config, rule, [True] + [False] * 40, labels)
        assert [h for h, e, _ in seen if e == "resolved"] == [37], rule  # 36 h after


def test_a_silence_can_match_the_alerts_cause_key(config: MonitorConfig) -> None:
    silence = Silence(matchers={"incident_key": f"commit:{SHA}"},
                      expires_at=T + dt.timedelta(days=1), comment="commit being rolled back")
    base = next(r for r in config.rules if r.name == "ppm_default_filled")
    by_system = next(r for r in config.rules if r.name == "vegas_coverage_drop")
    rules = {base.name: base.model_copy(update={"silences": [silence]}),
             by_system.name: by_system.model_copy(update={"silences": [
                 silence.model_copy(update={"matchers": {"incident_key": "system_id=v8"}})]})}
    ev = Evidence("m", 0.9, 100, (0.8, 0.95), None, 0.1, "above")
    cands = [Candidate(base.name, "critical", (("build_commit_sha", sha), ("system_id", s)),
                       True, ev) for sha in (SHA, "f00d" * 10) for s in ("v8", "v9")]
    cands += [Candidate(by_system.name, "warning", (("system_id", s),), True, ev)
              for s in ("v8", "v9")]
    events = transition({}, cands, rules, set(rules), T, "1")
    silenced = sorted((e.rule, dict(e.labels).get("build_commit_sha", "-"),
                       dict(e.labels)["system_id"])
                      for e in events if e.event_type == "silenced")
    # Both systems of the commit (one incident key), not the other commit; the system
    # alert by its incident_by key (default system_id).
    assert silenced == [(base.name, SHA, "v8"), (base.name, SHA, "v9"),
                        (by_system.name, "-", "v8")]
    assert all(e.detail == "commit being rolled back" for e in events
               if e.event_type == "silenced")
    # After it expires, nothing is silenced; the key is the one incidents use.
    later = transition({}, cands, rules, set(rules), T + dt.timedelta(days=2), "2")
    assert not [e for e in later if e.event_type == "silenced"]
    assert cause_key(base.name, dict(cands[0].labels), base.incident_by) == f"commit:{SHA}"


def test_a_silence_by_incident_key_in_the_file_loads_and_matches() -> None:
    text = BASE.replace("    group_by: [system_id, build_commit_sha]\n",
                        "    group_by: [system_id, build_commit_sha]\n"
                        "    silences:\n"
                        f"      - matchers: {{incident_key: 'commit:{SHA}'}}\n"
                        "        expires_at: 2026-02-01T00:00:00Z\n", 1)
    silence, = parse_config(text, "alerts.yaml").rules[0].silences
    labels = {"build_commit_sha": SHA, "system_id": "v8"}
    assert silence.matches(labels, T, incident_key=f"commit:{SHA}")
    assert not silence.matches(labels, T, incident_key="commit:other")
    assert not silence.matches(labels, T)  # a caller that gives no key matches nothing
