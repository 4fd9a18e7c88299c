"""What changed with a commit: feature_shift on DuckDB and through BigQuery's REST API,
the PSI itself, and where it shows (alert hints, validate-daily, the report)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from monitor.checks import CheckContext
from monitor.checks.feature_shift import FeatureShift, shift_params, top_shifts
from monitor.cli import main
from monitor.config import MonitorConfig, load_config
from monitor.cycle import run_cycle
from monitor.demo.options import BROKEN_COMMIT
from monitor.model import Observation
from monitor.notify.console import ConsoleNotifier
from monitor.notify.formats.block_kit import block_kit
from monitor.rules.store import MemoryAlertStore
from monitor.stats import population_stability, psi_chance_level
from monitor.warehouse.base import Params, Record
from monitor.warehouse.duckdb import DuckDBWarehouse
from monitor.warehouse.sql_dialect import statement_text
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB, D, features, ts
from tests.fakes.bigquery_server import (
    measured_both_ways,
    start_fake_bigquery,
    stop_fake_bigquery,
)

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent
ONE_QUERY = ROOT / "tests/fixtures/feature_shift_one_query.sql"


def few_players(config: MonitorConfig) -> MonitorConfig:
    """The hand-built slates have 60 players: judge them all the same."""
    settings = config.settings
    return config.model_copy(update={"settings": settings.model_copy(update={
        "provenance": settings.provenance.model_copy(update={"shift_min_players": 50})})})


def few_players_file(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.yaml"
    text = (ROOT / "alerts.yaml").read_text()
    # A second `provenance:` under settings would be a duplicate key: an error, not a
    # file that quietly keeps 200.
    path.write_text(text.replace("\nsettings:\n",
                                 "\nsettings:\n  provenance: {shift_min_players: 50}\n", 1))
    assert load_config(path).settings.provenance.shift_min_players == 50
    return path


def test_psi_is_zero_for_the_same_shares_and_grows_with_the_shift() -> None:
    assert population_stability([10, 20, 30], [20, 40, 60]) == pytest.approx(0.0)
    # (0.5-0.1)ln5 + (0.5-0.9)ln(5/9)
    assert population_stability([10, 90], [50, 50]) == pytest.approx(
        0.4 * 1.6094379 + 0.4 * 0.5877867, rel=1e-6)
    assert population_stability([10, 0], [10, 0]) == pytest.approx(0.0)
    assert population_stability([], []) is None
    assert population_stability([0, 0], [1, 1]) is None


def test_the_chance_level_is_a_chi_square_quantile_over_the_bins_holding_rows() -> None:
    # chi-square(9)'s 99th percentile is 21.67; (1/100 + 1/100) scales it
    assert psi_chance_level([10] * 10, [10] * 10) == pytest.approx(21.67 * 0.02, rel=0.01)
    # bins empty on both sides are no degrees of freedom: chi-square(1)'s is 6.63
    assert psi_chance_level([50, 50, 0], [25, 25, 0]) == pytest.approx(
        6.63 * (1 / 100 + 1 / 50), rel=0.03)
    assert psi_chance_level([], []) == 0.0


def test_two_clean_samples_read_a_raw_psi_over_0_1_but_no_shift_beyond_chance() -> None:
    """Two samples of 200 from one distribution, binned on the first one's deciles as
    the check does: the raw index is 0.1 or more about a third of the time; beyond the
    chance level about one time in a hundred, and by 0.1 rarer still."""
    import numpy as np

    rng = np.random.default_rng(7)
    raw, beyond = [], []
    for _ in range(400):
        old, new = rng.normal(24.0, 6.0, 200), rng.normal(24.0, 6.0, 200)
        edges = np.quantile(old, np.linspace(0.1, 0.9, 9))
        c_old = np.bincount(np.searchsorted(edges, old), minlength=10).tolist()
        c_new = np.bincount(np.searchsorted(edges, new), minlength=10).tolist()
        psi = population_stability(c_old, c_new)
        assert psi is not None
        raw.append(psi)
        beyond.append(max(psi - psi_chance_level(c_old, c_new), 0.0))
    assert float(np.mean(np.array(raw) >= 0.1)) > 0.2
    assert float(np.mean(np.array(beyond) > 0)) < 0.03
    assert float(np.mean(np.array(beyond) >= 0.1)) < 0.01


def slates(db: ContractDB, *, broken_share: float = 0.8) -> None:
    """old111 serves D-4..D-1; new222 takes over on D and writes ppm 0.4 for most."""
    for back in range(4, 0, -1):
        day = D - dt.timedelta(days=back)
        for p in range(60):
            db.prediction(day=day, commit="old111", player=f"player_{p}",
                          predicted_at=ts(day, 15),
                          cf=features(20.5, ppm=0.5 + p / 100, minutes=20 + p / 5))
    for p in range(60):
        broken = p < 60 * broken_share
        db.prediction(day=D, commit="new222", player=f"player_{p}", predicted_at=ts(D, 15),
                      cf=features(20.5, ppm=0.4 if broken else 0.5 + p / 100,
                                  minutes=20 + p / 5))


def shifts(observations: list[Observation]) -> dict[str, Observation]:
    return {dict(o.labels)["feature"]: o for o in observations if o.metric == "feature_shift"}


def test_a_new_commit_is_compared_with_the_one_it_replaced(db: ContractDB,
                                                           config: MonitorConfig) -> None:
    slates(db)
    obs = FeatureShift().measure(db.wh, CheckContext(NOW, few_players(config), "daily", D))
    by_feature = shifts(obs)
    assert set(by_feature) == {f.key for f in config.features}
    ppm = by_feature["ppm_avg_last_10"]
    assert dict(ppm.labels) == {"system_id": "catboost_v8", "build_commit_sha": "new222",
                                "feature": "ppm_avg_last_10"}
    context = dict(ppm.context)
    assert context["replaced_commit"] == "old111"
    assert context["sentinel_share"] == "0.0% → 80.0%"
    assert ppm.sample_size == 60 and ppm.value is not None and ppm.value > 1.0
    # Unchanged features: the same players' values on both sides.
    for key in ("vegas_points_line", "team_win_pct", "has_vegas_line"):
        assert by_feature[key].value == pytest.approx(0.0, abs=1e-9), key
    before, after = dict(by_feature["team_win_pct"].context)["mean"].split(" → ")
    assert before == after
    assert [o.value for o in obs if o.metric == "commit_changes"] == [1.0]
    line = top_shifts(obs)["new222"]
    assert line.startswith("ppm_avg_last_10 PSI ") and "at sentinel 0.0% → 80.0%" in line
    assert line.count(" PSI ") == 1  # the unchanged features are no shift


def test_no_new_commit_is_an_answer_not_missing_data(db: ContractDB,
                                                     config: MonitorConfig) -> None:
    for _ in range(5):
        db.prediction()
    obs = FeatureShift().measure(db.wh, CheckContext(NOW, config, "daily", D))
    assert [(o.metric, o.value) for o in obs] == [("commit_changes", 0.0)]


def test_the_same_shift_through_bigquery(db: ContractDB, config: MonitorConfig) -> None:
    slates(db, broken_share=0.5)
    db.close()
    ctx = CheckContext(NOW, few_players(config), "daily", D)
    via_duckdb, via_bigquery = measured_both_ways(db.path, FeatureShift(), ctx)
    assert via_bigquery == via_duckdb
    assert shifts(via_bigquery)["ppm_avg_last_10"].value == pytest.approx(
        shifts(via_duckdb)["ppm_avg_last_10"].value)
    assert dict(shifts(via_bigquery)["ppm_avg_last_10"].context)["sentinel_share"] == (
        "0.0% → 50.0%")


class BesideOneQuery:
    """The check's own queries, and beside them the one query feature_shift was
    (tests/fixtures/feature_shift_one_query.sql) with the parameters it took: the rows
    of both, for every measure."""

    def __init__(self, wh: DuckDBWarehouse, config: MonitorConfig) -> None:
        self.wh, self.config = wh, config
        self.pairs: list[tuple[list[Record], list[Record]]] = []  # (one query, two)

    def query(self, name: str, params: Params, *, labels: object = None) -> list[Record]:
        rows = self.wh.query(name, params)
        if name == "feature_shift_samples":
            one = {**params, **shift_params(self.config.features)}
            self.pairs.append((self.wh.run_sql("one_query", statement_text(
                ONE_QUERY.read_text(), one), one), []))
        elif name == "feature_shift":
            self.pairs[-1][1].extend(rows)
        return rows


def rounded_rows(rows: list[Record]) -> list[Record]:
    """Means add in no fixed order: compare them to 9 decimals."""
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def test_the_two_queries_read_what_the_one_query_read_on_the_demo(
        demo_path: Path, config: MonitorConfig) -> None:
    """Every game date of the demo season and a few cycles: the same sample sizes, bins,
    sentinel and missing counts and means, change by change and side by side."""
    wh = DuckDBWarehouse(demo_path, read_only=True)
    beside = BesideOneQuery(wh, config)
    days = (DEMO_OPTS.end - DEMO_OPTS.start).days
    try:
        for n in range(0, days + 1):
            day = DEMO_OPTS.start + dt.timedelta(days=n)
            FeatureShift().measure(beside, CheckContext(NOW, config, "daily", day))
        for hour in (12, 18):
            at = dt.datetime.combine(DEMO_OPTS.incident_start, dt.time(hour), tzinfo=dt.UTC)
            FeatureShift().measure(beside, CheckContext(at, config))
    finally:
        wh.close()
    assert len(beside.pairs) == days + 3
    for one, two in beside.pairs:
        assert rounded_rows(two) == rounded_rows(one)
    compared = [two for _, two in beside.pairs if two]
    assert len(compared) > days // 2, "too few days with a commit change to compare"
    assert {r["build_commit_sha"] for rows in compared for r in rows} >= {BROKEN_COMMIT}


def test_the_two_queries_read_what_the_one_query_read_on_bad_rows(
        db: ContractDB, config: MonitorConfig) -> None:
    """Duplicates, a player predicted twice a day, malformed and partial JSON, NaN,
    a commit that served a single day, unknown commits, rows after as_of."""
    for back in range(9, 0, -1):
        day = D - dt.timedelta(days=back)
        commit = "brief33" if back == 5 else "old111"
        for p in range(12):
            cf = ("{broken" if p == 0 else '{"ppm_avg_last_10": "NaN"}' if p == 1 else
                  features(20.5, ppm=0.5 + p / 100, minutes=20 + p / 5))
            db.prediction(day=day, commit=commit, player=f"player_{p}",
                          predicted_at=ts(day, 15), cf=cf)
        db.prediction(day=day, commit=commit, player="player_3", predicted_at=ts(day, 18),
                      cf=features(20.5, ppm=0.4))
        db.prediction(day=day, commit=None, player="player_4", predicted_at=ts(day, 19))
    for p in range(12):
        for _ in range(1 + (p == 2)):  # player_2's row twice
            db.prediction(day=D, commit="new222", player=f"player_{p}", predicted_at=ts(D, 15),
                          cf=features(None, has=0.0) if p % 2 else "null")
    db.prediction(day=D, commit="new222", player="player_5", predicted_at=NOW + dt.timedelta(1))
    beside = BesideOneQuery(db.wh, config)
    FeatureShift().measure(beside, CheckContext(NOW, few_players(config), "daily", D))
    ((one, two),) = beside.pairs
    # brief33 is a change too; new222 replaced it, on the days the system had before it
    assert [(r["build_commit_sha"], r["replaced_commit"], r["side"]) for r in one] == [
        ("brief33", "old111", "new"), ("brief33", "old111", "replaced"),
        ("new222", "brief33", "new"), ("new222", "brief33", "replaced")]
    assert rounded_rows(two) == rounded_rows(one)


def test_the_sample_days_reach_bigquery_as_typed_arrays(db: ContractDB,
                                                         config: MonitorConfig) -> None:
    from monitor.warehouse.bigquery import BigQueryWarehouse

    slates(db)
    db.close()
    fake = start_fake_bigquery(db.path)
    big = BigQueryWarehouse("test-project", "nba_predictions", endpoint=fake.endpoint,
                            job_timeout_seconds=10)
    try:
        FeatureShift().measure(big, CheckContext(NOW, few_players(config), "daily", D))
    finally:
        big.close()
        stop_fake_bigquery(fake)
    (shift,) = [c["query"] for c in fake.job_configs()
                if "@sample_system" in c["query"]["query"]]
    sent = {p["name"]: p for p in shift["queryParameters"]}
    assert sent["sample_date"]["parameterType"] == {"type": "ARRAY",
                                                    "arrayType": {"type": "DATE"}}
    assert sent["sample_side"]["parameterType"]["arrayType"] == {"type": "STRING"}
    days = [v["value"] for v in sent["sample_date"]["parameterValue"]["arrayValues"]]
    sides = [v["value"] for v in sent["sample_side"]["parameterValue"]["arrayValues"]]
    # new222's first (only) day, and old111's four before it
    assert sorted(zip(sides, days, strict=True)) == [("new", D.isoformat())] + [
        ("replaced", (D - dt.timedelta(days=b)).isoformat()) for b in range(4, 0, -1)]
    # the partition bounds are the first and last sample day
    assert sent["start_date"]["parameterValue"]["value"] == (D - dt.timedelta(4)).isoformat()
    assert sent["end_date"]["parameterValue"]["value"] == D.isoformat()


def test_too_few_players_is_not_judged(db: ContractDB, config: MonitorConfig) -> None:
    slates(db)
    obs = FeatureShift().measure(db.wh, CheckContext(NOW, config, "daily", D))
    ppm = shifts(obs)["ppm_avg_last_10"]
    assert ppm.value is None and ppm.sample_size == 60
    assert dict(ppm.context)["not_judged"] == "60 players on both sides, fewer than 200"
    assert top_shifts(obs) == {}


def test_validate_daily_prints_the_shift_under_the_commits_findings(
        db: ContractDB, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    slates(db)
    db.batch()
    db.close()
    code = main(["validate-daily", "--warehouse", db.url, "--date", D.isoformat(),
                 "--config", str(few_players_file(tmp_path))])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    failing = next(i for i, line in enumerate(lines)
                   if "feature_defaults:" in line and "ppm_default_filled" in line)
    assert "new222 features shifted: ppm_avg_last_10 PSI" in lines[failing + 1]
    assert "(vs old111: at sentinel 0.0% → 80.0%" in lines[failing + 1]


def test_the_slack_verdict_shows_the_shift_of_the_failing_commit(
        db: ContractDB, tmp_path: Path) -> None:
    from monitor.report.blocks import report_blocks
    from monitor.validate import validate_daily

    slates(db)
    db.batch()
    report = validate_daily(db.wh, load_config(few_players_file(tmp_path)), D,
                            now=dt.datetime.combine(D, dt.time(23), tzinfo=dt.UTC))
    texts = [b["text"]["text"] for b in report_blocks(report)["blocks"] if "text" in b]
    changed = next(t for t in texts if t.startswith("*What changed with these commits*"))
    assert "• `new222`: ppm_avg_last_10 PSI" in changed
    assert "vs old111: at sentinel 0.0% → 80.0%" in changed


def test_the_report_shows_the_shift_per_commit(db: ContractDB, tmp_path: Path) -> None:
    slates(db)
    db.close()
    out = tmp_path / "report.html"
    assert main(["report", "--warehouse", db.url, "--date", D.isoformat(),
                 "--out", str(out), "--config", str(few_players_file(tmp_path))]) == 0
    page = out.read_text()
    section = page[page.index("What changed with each commit"):]
    assert 'id="feature-shift"' in section
    row = section[section.index("<td", section.index("ppm_avg_last_10") - 400):]
    assert "new222" in row[:800] and "old111" in row[:800] and "0.0% → 80.0%" in row[:800]


def test_the_first_incident_alert_names_the_most_shifted_features(
        demo_path: Path, config: MonitorConfig) -> None:
    wh = DuckDBWarehouse(demo_path, read_only=True)
    out = io.StringIO()
    store = MemoryAlertStore()
    start = dt.datetime.combine(DEMO_OPTS.incident_start, dt.time(12, 15), tzinfo=dt.UTC)
    try:
        for hour in range(24):
            summary = run_cycle(wh, config, ConsoleNotifier(out), store,
                                as_of=start + dt.timedelta(hours=hour), run_id=f"h{hour}")
            if any(BROKEN_COMMIT in json.dumps(block_kit(p.body).blocks)
                   for p in summary.planned):
                break
    finally:
        wh.close()
    blocks = next(block_kit(p.body).blocks for p in summary.planned
                  if BROKEN_COMMIT in json.dumps(block_kit(p.body).blocks))
    hints = [el["text"] for b in blocks if b["type"] == "context"
             for el in b["elements"] if "features shifted" in el["text"]]
    assert hints, blocks
    shifted = hints[0][hints[0].index("features shifted: `") + len("features shifted: `"):]
    named = [part.split(" PSI ")[0] for part in shifted.split("; ")]
    # The broken commit defaulted ppm_avg_last_10 and dropped the line from its features.
    assert named[0] == "ppm_avg_last_10"
    assert {"has_vegas_line", "vegas_points_line"} <= set(named[:3])
