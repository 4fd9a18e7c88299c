"""Charts in Slack: a PNG of the metric uploaded with files_upload_v2 (its three
calls) into the alert's thread; a failed upload leaves the alert delivered."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image

from monitor.cli import main
from monitor.demo.options import BROKEN_COMMIT
from tests.contract import ContractDB, D, ts
from tests.fakes.slack_server import TOKEN, FakeSlack

AS_OF = "2026-01-10T14:15:00+00:00"  # the morning after the first broken batch


@pytest.fixture
def slack(slack_bot: FakeSlack) -> FakeSlack:
    return slack_bot


def copy(demo_path: Path, tmp_path: Path) -> str:
    target = tmp_path / "demo.duckdb"
    target.write_bytes(demo_path.read_bytes())
    return f"duckdb:///{target}"


def test_alert_gets_a_png_chart_in_its_thread(demo_path: Path, tmp_path: Path,
                                              slack: FakeSlack) -> None:
    assert main(["run", "--warehouse", copy(demo_path, tmp_path), "--as-of", AS_OF]) == 0
    get_url = slack.posts("files.getUploadURLExternal")
    complete = slack.posts("files.completeUploadExternal")
    assert get_url and len(get_url) == len(complete) == len(slack.uploads)
    mismatch_ts = next(ts for args, ts in slack.posted
                       if "vegas_line_feature_mismatch" in str(args.get("text")))
    threads = {c["thread_ts"] for c in complete}
    assert mismatch_ts in threads
    assert all(c["channel_id"] == "C0ALERTS" for c in complete)
    for png in slack.uploads.values():
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert Image.open(io.BytesIO(png)).size == (640, 300)
    names = [g["filename"] for g in get_url]
    assert "vegas_line_feature_mismatch.png" in names


def test_a_failed_upload_leaves_the_alert_delivered(demo_path: Path, tmp_path: Path,
                                                    slack: FakeSlack,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    original = slack.server.RequestHandlerClass

    class Broken(original):  # type: ignore[valid-type,misc]
        def do_POST(self) -> None:  # noqa: N802
            if self.path.startswith("/upload/"):
                self.send_error(500)
                return
            super().do_POST()

    slack.server.RequestHandlerClass = Broken
    assert main(["run", "--warehouse", copy(demo_path, tmp_path), "--as-of", AS_OF]) == 0
    texts = [str(p["text"]) for p in slack.posts()]
    assert any("vegas_line_feature_mismatch" in t and BROKEN_COMMIT in t for t in texts)
    assert slack.posts("files.completeUploadExternal") == []
    out = capsys.readouterr()
    assert "chart upload failed" in out.err
    assert TOKEN not in out.out + out.err


def test_a_chart_draws_the_threshold_only_where_it_shows_the_rules_own_quantity() -> None:
    from monitor.config import load_config
    from monitor.notify.chart import chart_threshold

    rules = {r.metric: r for r in load_config().rules}
    # A configured feature's sentinel share is a share per day like the seed's two.
    for metric in ("sentinel_share", "ppm_default_share", "mismatch_share", "hit_rate"):
        assert metric in rules, metric
        assert chart_threshold(rules[metric]) == rules[metric].threshold, metric
    # A CUSUM's statistic is not the hit rate per day its chart draws.
    assert chart_threshold(rules["hit_rate_drift"]) is None
    assert chart_threshold(rules["edge_drift"]) is None


def test_an_edge_alert_draws_the_mean_margin_per_day(db: ContractDB) -> None:
    from monitor.config import load_config
    from monitor.notify.chart import chart_threshold, metric_series

    db.graded(line=20.5, actual=25.0, correct=True)                # OVER: +4.5
    db.graded(line=20.5, actual=23.0, correct=False, side="UNDER")  # UNDER: -2.5
    db.graded(line=20.5, actual=25.0, correct=None)                # PASS: no margin
    db.graded(day=D + dt.timedelta(days=1), line=20.5, actual=19.0, correct=False)
    rule = next(r for r in load_config().rules if r.metric == "edge_drift")
    title, points, first = metric_series(
        db.wh, load_config(), rule, {"system_id": "catboost_v8", "build_commit_sha": "abc123"},
        ts(D + dt.timedelta(days=3)))
    assert "margin" in title
    assert points == [(D, pytest.approx(1.0)), (D + dt.timedelta(days=1), pytest.approx(-1.5))]
    assert first == D
    assert chart_threshold(rule) is None  # a CUSUM's threshold is not a margin


def test_a_pick_agreement_alert_draws_the_agreement_beyond_chance_per_day(
        db: ContractDB) -> None:
    from monitor.config import load_config
    from monitor.notify.chart import chart_threshold, metric_series

    for back in range(1, 4):  # two players' forms: 30 and 10 points
        day = D - dt.timedelta(days=back)
        db.graded(player="hot", day=day, actual=30.0, game_id=f"gh{back}")
        db.graded(player="cold", day=day, actual=10.0, game_id=f"gc{back}")
    db.prediction(player="hot", line=20.5, rec="OVER", predicted=25.0)   # agrees
    db.prediction(player="cold", line=20.5, rec="OVER", predicted=25.0)  # does not
    db.prediction(player="hot", day=D + dt.timedelta(days=1), line=20.5, rec="OVER",
                  predicted=25.0, commit="next")
    db.prediction(player="cold", day=D + dt.timedelta(days=1), line=20.5, rec="UNDER",
                  predicted=15.0, commit="next")  # agrees
    config = load_config()
    rule = next(r for r in config.rules if r.metric == "pick_agreement_drift")
    title, points, first = metric_series(
        db.wh, config, rule, {"system_id": "catboost_v8", "build_commit_sha": "next"},
        ts(D + dt.timedelta(days=1), 20))
    # Forms above the line for half of each slate. Day D: two OVER picks, one agreeing,
    # chance one: nothing beyond it. Day D+1: an OVER and an UNDER pick, both agreeing,
    # chance one: one agreement beyond chance over two picks.
    assert "beyond chance" in title
    assert points == [(D, pytest.approx(0.0)), (D + dt.timedelta(days=1), pytest.approx(0.5))]
    assert first == D + dt.timedelta(days=1)
    assert chart_threshold(rule) is None  # a CUSUM's threshold is not an agreement
