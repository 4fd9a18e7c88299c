"""validate-daily through the command line, on hand-built contract files."""

from __future__ import annotations

import json

import pytest

from monitor.cli import main
from tests.contract import ContractDB, D


def run(db: ContractDB, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["validate-daily", "--warehouse", db.url, "--date", D.isoformat(), *extra])
    return code, capsys.readouterr().out


def healthy_slate(db: ContractDB) -> None:
    for _ in range(40):
        db.prediction()
    db.batch()


def checks(out: str) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in json.loads(out)["checks"]}


def test_small_sample_does_not_fail_and_says_why(db: ContractDB,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    healthy_slate(db)
    for i in range(40):
        db.graded(correct=i < 18, actual=25.0 if i < 18 else 18.0)  # 45% of 40
    db.close()
    code, out = run(db, capsys, "--format", "json")
    hit = checks(out)["hit_rate_by_commit"]
    assert hit["status"] == "ok"
    assert "sample too small" in str(hit["summary"]) and "n=40" in str(hit["summary"])
    assert code == 0


def test_600_picks_at_42_percent_fail(db: ContractDB,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    # The rule's anytime-valid bound: 600 picks at 50% reach 57.3%, not evidence of
    # anything; at 42% they reach 49.3%, below 55% (docs/statistics.md).
    healthy_slate(db)
    for i in range(600):
        hit = i % 50 < 21
        db.graded(correct=hit, actual=25.0 if hit else 18.0)
    db.close()
    code, out = run(db, capsys, "--format", "json")
    hit = checks(out)["hit_rate_by_commit"]
    assert hit["status"] == "fail" and code == 1
    assert "hit_rate 42.0% (n=600, 95% CI 38.1%–46.0%)" in str(hit["summary"])
    assert "anytime-valid upper bound 49.3% < 55.0%" in str(hit["summary"])
    assert json.loads(out)["status"] == "fail"


def test_no_predictions_is_no_data_never_ok(db: ContractDB,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db.close()
    code, out = run(db, capsys, "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["status"] == "no-data"
    assert {c["status"] for c in report["checks"]} == {"no-data"}
    assert "missing data, not healthy" in report["checks"][0]["summary"]


def test_json_shape_is_stable(db: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    healthy_slate(db)
    db.close()
    _, out = run(db, capsys, "--format", "json")
    report = json.loads(out)
    assert set(report) == {"date", "status", "calendar", "checks"}
    assert set(report["calendar"]) == {"table", "known", "last_date", "note"}
    assert report["date"] == D.isoformat()
    for check in report["checks"]:
        assert set(check) == {"name", "status", "summary", "observations"}
        for obs in check["observations"]:
            assert set(obs) == {"metric", "labels", "value", "sample_size", "interval",
                                "baseline", "context"}


def test_text_and_markdown_formats(db: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    healthy_slate(db)
    db.close()
    code, out = run(db, capsys)
    assert out.startswith(f"validate-daily {D.isoformat()}: NO-DATA")
    assert "[     ok] feature_defaults" in out and "[no-data] hit_rate_by_commit" in out
    code, out = run(db, capsys, "--format", "markdown")
    assert "| check | status | evidence |" in out and code == 1


def test_a_failing_check_does_not_silence_the_others(
        db: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    healthy_slate(db)
    db.wh.connection.execute("DROP TABLE nba_predictions.prediction_accuracy")
    db.close()
    code, out = run(db, capsys, "--format", "json")
    by_name = checks(out)
    assert by_name["hit_rate_by_commit"]["status"] == "error"
    assert "prediction_accuracy" in str(by_name["hit_rate_by_commit"]["summary"])
    assert by_name["feature_defaults"]["status"] == "ok"
    assert code == 2


def test_bad_warehouse_url_and_missing_file_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-daily", "--warehouse", "postgres://x"]) == 2
    assert "unknown warehouse URL" in capsys.readouterr().err
    assert main(["validate-daily", "--warehouse", "duckdb:///nonexistent/x.duckdb"]) == 2
    assert "does not exist" in capsys.readouterr().err
