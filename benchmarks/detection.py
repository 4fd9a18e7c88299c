"""Detection benchmark: demo seasons with several seeds, each scenario replayed with
the hourly schedule from November to April (the All-Star break, Thanksgiving,
Christmas Eve, scattered off days and games postponed on the day included), the
project's default rules side by side with the naive rule "7-day hit rate < 55%".
Prints, per scenario and rule set: the delay from the first bad predicted_at to the
first relevant alert (hours and game days), false alarms per season and misses —
for the seeds the defaults were tuned on and, beside them, held-out seeds no default
was tuned on.

    python benchmarks/detection.py [--seeds 1,2,3] [--held-out 11,12,13] [--workers 2]

Scenarios: (a) the seed's incident (also replayed with `--schedule events`: a cycle one
second after each batch ends, the delay printed in seconds from the first broken batch's
end); (b) a clean season; (c) a hit-rate-only regression (~60% → ~50%, no feature
symptom; also with the rule set "outcomes only", the defaults less the prediction-time
rules on the picks, prediction_edge_collapsed and pick_agreement_dropped: what grading
alone would say); (d) a Vegas-coverage drop with no change in
quality; (e) a day with no batch at all; (f) a clean season with a league pause of a
week. Beside the alerts, the batch gate (monitor.gate) is applied to every batch of the
replayed window (the rows of each execution-log batch): false blocks per season, and
whether the incident's first broken batch is blocked, with the reasons. Then, for the
incident and clean seasons, each critical feature's largest PSI over the clean commit
changes (`--feature-shift-only`: just that). Seasons start on opening night with
provenance in place (no legacy rows without a commit: those warn, correctly, and would
be counted as false alarms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.backtest import BacktestAlert, backtest, cycle_times, event_cycle_times
from monitor.batch_verdict import batch_rows
from monitor.checks import CheckContext
from monitor.checks.feature_shift import FeatureShift
from monitor.checks.freshness import slate_deadline
from monitor.config import MonitorConfig, Rule, load_config
from monitor.demo import build_demo_warehouse
from monitor.demo.options import BROKEN_COMMIT, MAIN_SYSTEM, DemoOptions
from monitor.gate import check_batch
from monitor.league_calendar import load_calendar
from monitor.model import EASTERN, eastern_date
from monitor.warehouse.duckdb import DuckDBWarehouse

OPENING_NIGHT = dt.date(2025, 10, 21)  # data from here: every commit has its baseline
SEASON = (dt.date(2025, 11, 1), dt.date(2026, 4, 10))  # replayed hourly
INCIDENT = (dt.date(2026, 1, 9), dt.date(2026, 1, 30))
PAUSE = (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
SCENARIOS = {"a": "incident", "b": "clean", "c": "hit_rate_regression",
             "d": "coverage_drop", "e": "missing_batch", "f": "clean"}
TUNING_SEEDS = "1,2,3"
HELD_OUT_SEEDS = "11,12,13"  # never used to choose a default
FEATURE_RULES = {"vegas_line_feature_mismatch", "ppm_default_filled",
                 "critical_features_missing", "backfill_on_stale_commit"}
OUTCOME_RULES = {"hit_rate_below_55", "hit_rate_drift_detected", "edge_drift_detected",
                 "mae_drift_detected", "naive_hit_rate_7d"}
# At prediction time, about what outcomes will show: predictions that hug the line, or
# picks that stop following the players' form.
EDGE_RULES = {"prediction_edge_collapsed", "pick_agreement_dropped"}


def outcomes_only_config(default: MonitorConfig) -> MonitorConfig:
    """The default rules less the prediction-time edge rules: what the graded outcomes
    alone would say of a regression that leaves the predictions' distance from the
    line as it was."""
    return default.model_copy(update={"rules": [r for r in default.rules
                                                if r.name not in EDGE_RULES]})


def naive_config(default: MonitorConfig) -> MonitorConfig:
    rule = Rule(name="naive_hit_rate_7d", metric="hit_rate", below=0.55, evidence="point",
                min_sample=0, severity="critical", only={"window": "7d"},
                group_by=["system_id", "build_commit_sha", "window"])
    return default.model_copy(update={"rules": [rule]})


@dataclass(frozen=True)
class GateFigures:
    """The batch gate on every batch of a replayed window."""

    batches: int
    blocks: int
    false_blocks: int  # blocks of batches not on the broken commit
    false_rules: dict[str, int]
    first_broken: str | None = None  # the broken commit's first batch with rows
    first_broken_blocked: bool | None = None
    first_broken_reasons: tuple[str, ...] = ()


LOG_COLUMNS = ("execution_id, batch_id, system_id, game_date, build_commit_sha, "
               "feature_source_mode, status, error_message, players_predicted, "
               "execution_start_timestamp, execution_end_timestamp")


def gate_season(path: Path, window: tuple[dt.date, dt.date],
                config: MonitorConfig) -> GateFigures:
    """check_batch on the rows of every batch of the window's game dates, each batch's
    rows found as check-batch finds them (queries/batch_predictions.sql)."""
    wh = DuckDBWarehouse(path, read_only=True)
    blocks = false_blocks = 0
    false_rules: dict[str, int] = {}
    first: tuple[str, bool, tuple[str, ...]] | None = None
    try:
        cur = wh.connection.execute(
            f"SELECT {LOG_COLUMNS} FROM nba_predictions.prediction_execution_log "
            "WHERE game_date BETWEEN ? AND ? ORDER BY execution_start_timestamp", list(window))
        names = [d[0] for d in cur.description]
        batches = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        for batch in batches:
            verdict = check_batch(batch_rows(wh, batch), config=config)
            broken = batch["build_commit_sha"] == BROKEN_COMMIT
            if broken and first is None and verdict.rows:
                first = (str(batch["execution_id"]), verdict.blocked,
                         tuple(r.message for r in verdict.reasons if r.blocking))
            if not verdict.blocked:
                continue
            blocks += 1
            if not broken:
                false_blocks += 1
                for r in verdict.reasons:
                    if r.blocking:
                        false_rules[r.rule] = false_rules.get(r.rule, 0) + 1
    finally:
        wh.close()
    return GateFigures(len(batches), blocks, false_blocks, false_rules,
                       *(first if first else (None, None, ())))


@dataclass
class Outcome:
    scenario: str
    seed: int
    rules: str
    first_bad: dt.datetime
    first_alert: BacktestAlert | None
    false_alarms: int
    false_rules: dict[str, int]
    side_alerts: int  # (d): hit-rate or feature-default alerts that must not fire
    before_grading: bool | None
    names_commit: bool | None
    shows_backfill: bool | None
    postponed: int = 0  # games postponed on the day in the season
    postponed_alerts: int = 0  # alerts naming a postponed game or its slate
    gate: GateFigures | None = None  # the batch gate on the same window
    # (a), `--schedule events`: the first relevant alert after the first broken batch's
    # execution_end_timestamp, in seconds (negative: an event cycle of another batch
    # already saw its rows)
    event_delay_s: float | None = None


def relevant(scenario: str) -> Callable[[BacktestAlert], bool]:
    if scenario == "a":
        # The broken commit, or the main system's commit-agnostic outcome series.
        return lambda a: (a.rule in FEATURE_RULES | OUTCOME_RULES and (
            a.label("build_commit_sha") == BROKEN_COMMIT
            or (a.label("system_id") == MAIN_SYSTEM and a.label("build_commit_sha") == "all"))
            or (a.rule in EDGE_RULES and a.label("system_id") == MAIN_SYSTEM))
    if scenario == "c":
        return lambda a: (a.rule in OUTCOME_RULES | EDGE_RULES
                          and a.label("system_id") == MAIN_SYSTEM)
    if scenario == "d":
        return lambda a: a.rule == "vegas_coverage_drop"
    if scenario == "e":
        return lambda a: a.rule == "slate_no_data" and a.label("game_date") == str(INCIDENT[0])
    return lambda a: False


def first_bad_time(path: Path, scenario: str, config: MonitorConfig) -> dt.datetime:
    if scenario == "e":  # the expected batch time of the slate that never came
        wh = DuckDBWarehouse(path, read_only=True)
        try:
            league = load_calendar(wh, config, INCIDENT[0])
        finally:
            wh.close()
        return slate_deadline(INCIDENT[0], config.settings.freshness, league)
    where, params = {
        "a": ("build_commit_sha = ?", [BROKEN_COMMIT]),
        "c": ("system_id = ? AND game_date = ?", [MAIN_SYSTEM, INCIDENT[0]]),
        "d": ("game_date = ?", [INCIDENT[0]]),
        "b": ("game_date = ?", [INCIDENT[0]]),
        "f": ("game_date = ?", [INCIDENT[0]])}[scenario]
    ((value,),) = fetch(path, "SELECT min(predicted_at) FROM "
                        f"nba_predictions.player_prop_predictions WHERE {where}", params)
    return value.astimezone(dt.UTC)


def fetch(path: Path, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
    """Rows of plain DuckDB SQL on a demo file (what the benchmark measures against)."""
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        return wh.connection.execute(sql, params or []).fetchall()
    finally:
        wh.close()


def first_broken_end(path: Path) -> dt.datetime:
    ((value,),) = fetch(path, "SELECT min(execution_end_timestamp) FROM "
                              "nba_predictions.prediction_execution_log "
                              "WHERE build_commit_sha = ?", [BROKEN_COMMIT])
    return value.astimezone(dt.UTC)


def first_graded(path: Path) -> dt.datetime | None:
    ((value,),) = fetch(path, "SELECT min(graded_at) FROM nba_predictions.prediction_accuracy "
                              "WHERE build_commit_sha = ?", [BROKEN_COMMIT])
    return value.astimezone(dt.UTC) if value else None


def postponed_games(path: Path) -> list[tuple[str, str]]:
    rows = fetch(path, "SELECT game_id, CAST(game_date AS VARCHAR) FROM "
                       "nba_predictions.game_schedule "
                       "WHERE game_status IN ('postponed', 'cancelled')")
    return [(str(g), str(d)) for g, d in rows]


def season_file(scenario: str, seed: int, data_dir: Path) -> Path:
    """The scenario's demo season for a seed, built on first use."""
    path = data_dir / f"{scenario}-{SCENARIOS[scenario]}-{seed}.duckdb"
    opts = DemoOptions(start=OPENING_NIGHT, end=SEASON[1], seed=seed,
                       scenario=SCENARIOS[scenario],  # type: ignore[arg-type]
                       incident_start=INCIDENT[0], incident_end=INCIDENT[1], legacy_days=0,
                       pause=PAUSE if scenario == "f" else None)
    if not path.exists():
        build_demo_warehouse(path, opts, show_progress=False)
    return path


def run_one(scenario: str, seed: int, data_dir: Path,
            window: tuple[dt.date, dt.date] = SEASON) -> list[Outcome]:
    path = season_file(scenario, seed, data_dir)
    default = load_config()
    configs = {"default": default, "naive 7d<55%": naive_config(default)}
    if scenario == "c":
        configs["outcomes only"] = outcomes_only_config(default)
    start = dt.datetime.combine(window[0], dt.time(), tzinfo=EASTERN).astimezone(dt.UTC)
    end = dt.datetime.combine(window[1], dt.time(23, 59), tzinfo=EASTERN).astimezone(dt.UTC)
    times = cycle_times(start, end, default.schedule.cycle, default.schedule.timezone)
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        runs, _ = backtest(wh, configs, times)
        if scenario == "a":  # the event mode too: a cycle a second after each batch ends
            event_times = sorted({*times, *event_cycle_times(wh, start, end)})
            runs["events"] = backtest(wh, {"events": default}, event_times)[0]["events"]
    finally:
        wh.close()
    bad = first_bad_time(path, scenario, default)
    graded = first_graded(path) if scenario == "a" else None
    is_relevant = relevant(scenario)
    postponed = postponed_games(path)
    games, dates = {g for g, _ in postponed}, {d for _, d in postponed}
    event_delay = None
    if "events" in runs:
        first_event = next((a for a in runs.pop("events").alerts if a.event == "fired"
                            and is_relevant(a) and a.time >= bad), None)
        if first_event:
            event_delay = (first_event.time - first_broken_end(path)).total_seconds()
    gate = gate_season(path, window, default)
    outcomes = []
    for name, run in runs.items():
        fired = [a for a in run.alerts if a.event == "fired"]
        hits = [a for a in fired if is_relevant(a) and a.time >= bad]
        first = hits[0] if hits else None
        side = [a for a in fired if scenario == "d"
                and a.rule in FEATURE_RULES | OUTCOME_RULES | EDGE_RULES]
        false = [a for a in fired if not is_relevant(a)]
        same_cycle = [a for a in hits if first and a.time == first.time]
        false_rules: dict[str, int] = {}
        for a in false:
            false_rules[a.rule] = false_rules.get(a.rule, 0) + 1
        on_postponed = [a for a in fired if a.label("game_id") in games or (
            a.rule.startswith("slate_") and a.label("game_date") in dates)]
        outcomes.append(Outcome(
            scenario, seed, name, bad, first, len(false), false_rules, len(side),
            (first.time < graded) if first and graded else None,
            any(a.label("build_commit_sha") == BROKEN_COMMIT for a in same_cycle)
            if scenario == "a" and first else None,
            any(a.rule == "backfill_on_stale_commit" or "backfill" in dict(
                a.evidence.context if a.evidence else ()).get("feature_source_mode", "")
                for a in same_cycle) if scenario == "a" and first else None,
            len(postponed), len(on_postponed), gate,
            event_delay if name == "default" else None))
    return outcomes


def describe_gate(g: GateFigures) -> str:
    rules = ", ".join(f"{r} {n}" for r, n in sorted(g.false_rules.items()))
    text = (f"gate: {g.batches} batches, {g.blocks} blocked, false blocks {g.false_blocks}"
            + (f" ({rules})" if rules else ""))
    if g.first_broken is not None:
        text += (f"; first broken batch {g.first_broken} blocked: {g.first_broken_blocked}"
                 + "".join(f"\n      - {m}" for m in g.first_broken_reasons))
    return text


def describe(o: Outcome) -> str:
    text = describe_alerts(o)
    return text + (f"\n    {describe_gate(o.gate)}" if o.gate and o.rules == "default" else "")


def describe_alerts(o: Outcome) -> str:
    rules = ", ".join(f"{r} {n}" for r, n in sorted(o.false_rules.items()))
    false = f"false alarms {o.false_alarms}" + (f" ({rules})" if rules else "")
    if o.scenario in "bf":
        return f"{false}; postponed games {o.postponed}, alerts on them {o.postponed_alerts}"
    if o.first_alert is None:
        return f"MISSED; {false}"
    delay = o.first_alert.time - o.first_bad
    days = (eastern_date(o.first_alert.time) - INCIDENT[0]).days
    hours = delay.total_seconds() / 3600
    text = (f"first alert {o.first_alert.time:%m-%d %H:%M}Z after {hours:.1f} h "
            f"({days} game days) by {o.first_alert.rule}; {false}")
    if o.scenario == "a":
        text += (f"; before grading: {o.before_grading}; names commit: {o.names_commit}; "
                 f"backfill shown: {o.shows_backfill}")
        if o.rules == "default":
            text += ("; events mode: " + ("MISSED" if o.event_delay_s is None else
                     f"{o.event_delay_s:+.0f} s from the first broken batch's end"))
    if o.scenario == "d":
        text += f"; hit-rate/feature alerts: {o.side_alerts}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default=TUNING_SEEDS, help="seeds the defaults were tuned on")
    parser.add_argument("--held-out", default=HELD_OUT_SEEDS,
                        help="seeds no default was tuned on ('' for none)")
    parser.add_argument("--scenarios", default="abcdef")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--verbose", action="store_true", help="per-seed lines of the naive rule")
    parser.add_argument("--feature-shift-only", action="store_true",
                        help="only the feature-shift figures of the demo files")
    parser.add_argument("--replay", metavar="START:END",
                        help="replay only these dates (detection delays around the incident "
                             "in a fraction of the time; false alarms then count this window)")
    args = parser.parse_args()
    window = SEASON if not args.replay else tuple(
        dt.date.fromisoformat(d) for d in args.replay.split(":"))
    args.data_dir.mkdir(parents=True, exist_ok=True)
    tuning = [int(s) for s in args.seeds.split(",") if s]
    held_out = [int(s) for s in args.held_out.split(",") if s]
    seeds = tuning + held_out
    shift_files = [season_file(sc, seed, args.data_dir)
                   for sc in args.scenarios if sc in "ab" for seed in seeds]
    if args.feature_shift_only:
        print_feature_shift(shift_files, load_config())
        return
    jobs = [(sc, seed) for sc in args.scenarios for seed in seeds]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_one, [j[0] for j in jobs], [j[1] for j in jobs],
                                [args.data_dir] * len(jobs), [window] * len(jobs)))
    outcomes = [o for batch in results for o in batch]
    print(f"seasons {window[0]} – {window[1]} replayed hourly; tuning seeds {tuning}, "
          f"held-out seeds {held_out}")
    for scenario in args.scenarios:
        title = SCENARIOS[scenario] + (f" with a league pause {PAUSE[0]} – {PAUSE[1]}"
                                       if scenario == "f" else "")
        print(f"\n({scenario}) {title}")
        for rules in ("default", "outcomes only", "naive 7d<55%"):
            for group, members in (("tuning", tuning), ("held-out", held_out)):
                rows = [o for o in outcomes if o.scenario == scenario and o.rules == rules
                        and o.seed in members]
                if not rows:
                    continue
                for o in rows:
                    if rules != "naive 7d<55%" or args.verbose:
                        print(f"  {rules:<13} {group:<8} seed {o.seed}: {describe(o)}")
                print(summarize(scenario, rules, group, rows))
    print_feature_shift(shift_files, load_config())
    sys.stdout.flush()


def feature_shift_changes(path: Path, config: MonitorConfig) -> dict[
        tuple[str, str], tuple[str, dict[str, float | None], dict[str, float]]]:
    """(system, commit) → (replaced commit, feature → PSI beyond chance, feature → raw
    PSI) for every commit change of a demo season, read with the feature_shift check."""
    settings = config.settings
    wide = config.model_copy(update={"settings": settings.model_copy(update={
        "provenance": settings.provenance.model_copy(update={"shift_days": 90})})})
    changes: dict[tuple[str, str], tuple[str, dict[str, float | None], dict[str, float]]] = {}
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        day = SEASON[1]
        while day > OPENING_NIGHT:  # windows of 90 days overlapping by 10, latest first
            ctx = CheckContext(as_of=dt.datetime.now(dt.UTC), config=wide, mode="daily",
                               target_date=day)
            for o in FeatureShift().measure(wh, ctx):
                if o.metric != "feature_shift":
                    continue
                labels = dict(o.labels)
                key = (labels["system_id"], labels["build_commit_sha"])
                context = dict(o.context)
                entry = changes.setdefault(key, (context["replaced_commit"], {}, {}))
                entry[1].setdefault(labels["feature"], o.value)
                if "psi" in context:  # "0.124 (chance alone: up to 0.226)"
                    entry[2].setdefault(labels["feature"], float(context["psi"].split()[0]))
            day -= dt.timedelta(days=80)
    finally:
        wh.close()
    return changes


def print_feature_shift(paths: list[Path], config: MonitorConfig) -> None:
    """What changed with each commit: the largest PSI beyond chance of each critical
    feature over the clean commit changes of the seasons (neither side the broken
    commit; under 0.1 is no shift), the largest raw PSI beside it, and the broken
    commit's most shifted features."""
    print("\nfeature shift (PSI beyond chance; raw PSI) per commit change")
    for path in paths:
        changes = feature_shift_changes(path, config)
        clean = {k: v for k, v in changes.items()
                 if BROKEN_COMMIT not in (k[1], v[0])}
        worst: dict[str, float] = {}
        worst_raw: dict[str, float] = {}
        for _, psis, raws in clean.values():
            for feature, psi in psis.items():
                if psi is not None:
                    worst[feature] = max(worst.get(feature, 0.0), psi)
            for feature, raw in raws.items():
                worst_raw[feature] = max(worst_raw.get(feature, 0.0), raw)
        over = sum(1 for _, psis, _ in clean.values()
                   if any(p is not None and p >= 0.1 for p in psis.values()))
        judged = sum(1 for _, psis, _ in clean.values()
                     if any(p is not None for p in psis.values()))
        print(f"  {path.name}: {len(clean)} clean changes ({judged} judged, the rest with "
              f"too few players), {over} with a PSI >= 0.1; max "
              + ", ".join(f"{f} {v:.3f} (raw {worst_raw.get(f, 0.0):.3f})"
                          for f, v in sorted(worst.items())))
        for (system, commit), (replaced, psis, _) in sorted(changes.items()):
            if commit == BROKEN_COMMIT:
                top = sorted(((v, f) for f, v in psis.items() if v is not None), reverse=True)
                print(f"    {system} {commit} vs {replaced}: "
                      + ", ".join(f"{f} {v:.2f}" for v, f in top[:3]))


def summarize(scenario: str, rules: str, group: str, rows: list[Outcome]) -> str:
    delays = [(o.first_alert.time - o.first_bad).total_seconds() / 3600
              for o in rows if o.first_alert]
    misses = sum(1 for o in rows if o.first_alert is None and scenario not in "bf")
    summary = (f"  {rules:<13} {group:<8} summary: false alarms/season "
               f"{statistics.mean(o.false_alarms for o in rows):.1f} "
               f"(max {max(o.false_alarms for o in rows)})")
    if scenario not in "bf":
        summary += (f", misses {misses}/{len(rows)}"
                    + (f", median delay {statistics.median(delays):.1f} h"
                       if delays else ""))
    gates = [o.gate for o in rows if o.gate is not None]
    if rules == "default" and gates:
        false_blocks = [g.false_blocks for g in gates]
        summary += (f"; gate false blocks/season {statistics.mean(false_blocks):.1f}"
                    f" (max {max(false_blocks)})")
        if scenario == "a":
            summary += (f", first broken batch blocked "
                        f"{sum(1 for g in gates if g.first_broken_blocked)}/{len(gates)}")
    return summary


if __name__ == "__main__":
    main()
