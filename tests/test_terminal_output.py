"""Nothing raw from the data on a terminal: a commit, a system id and a label holding
ESC, OSC and BEL sequences (clear the screen, a hidden hyperlink, a new window title)
come out escaped from every text output — validate-daily's text and markdown, run's
log lines, query's table and silences."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.rules.state import make_event
from monitor.rules.store import WarehouseAlertStore
from tests.contract import ContractDB, D, features, ts

ROOT = Path(__file__).resolve().parent.parent
# A hidden hyperlink (OSC 8, BEL-terminated), then clear the screen (CSI).
COMMIT = "new\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\x1b[2J"
# Red text and a bell.
SYSTEM = "catboost\x1b[31m_v8\x07"
# A window title (OSC 0) in a Slack user id.
USER = "U0\x1b]0;pwned\x07"
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escaped(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")


def assert_terminal_safe(text: str, *payloads: str) -> None:
    assert not RAW.search(text), RAW.findall(text)
    for payload in payloads:
        assert escaped(payload) in text, payload


@pytest.fixture
def hostile(tmp_path: Path) -> ContractDB:
    """OLD serves SYSTEM for four days; COMMIT takes over on D writing ppm's 0.4 default
    for most players (feature_defaults fails, the feature shift names COMMIT), and
    grades on both."""
    db = ContractDB(tmp_path / "hostile.duckdb")
    for back in range(4, 0, -1):
        day = D - dt.timedelta(days=back)
        for p in range(60):
            db.prediction(day=day, system=SYSTEM, commit="old111", player=f"player_{p}",
                          predicted_at=ts(day, 15),
                          cf=features(20.5, ppm=0.5 + p / 100, minutes=20 + p / 5))
    for p in range(60):
        db.prediction(day=D, system=SYSTEM, commit=COMMIT, player=f"player_{p}",
                      predicted_at=ts(D, 15),
                      cf=features(20.5, ppm=0.4 if p < 48 else 0.5 + p / 100,
                                  minutes=20 + p / 5))
        db.graded(day=D, system=SYSTEM, commit=COMMIT, correct=p % 2 == 0)
    db.batch(system=SYSTEM, commit=COMMIT, predicted=60)
    db.close()
    return db


def few_players_file(tmp_path: Path) -> Path:
    """The shipped rules, with the feature shift judged on 60 players."""
    path = tmp_path / "alerts.yaml"
    text = (ROOT / "alerts.yaml").read_text()
    path.write_text(text.replace("\nsettings:\n",
                                 "\nsettings:\n  provenance: {shift_min_players: 50}\n", 1))
    return path


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_validate_daily_escapes_the_commit_and_system_in_text_and_markdown(
        hostile: ContractDB, tmp_path: Path, fmt: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate-daily", "--warehouse", hostile.url, "--date", D.isoformat(),
                 "--config", str(few_players_file(tmp_path)), "--format", fmt])
    out = capsys.readouterr().out
    assert code == 1
    # The line under the failing check that names what changed with the commit.
    shifted = (f"            {escaped(COMMIT)} features shifted: ppm_avg_last_10 PSI"
               if fmt == "text" else f"- `{escaped(COMMIT)}`: ppm_avg_last_10 PSI")
    assert any(line.startswith(shifted) for line in out.splitlines())
    assert_terminal_safe(out, COMMIT, SYSTEM)


def test_run_log_lines_escape_what_the_data_holds(
        hostile: ContractDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--warehouse", hostile.url, "--dry-run", "--as-of",
                 ts(D, 23).isoformat(), "--config", str(few_players_file(tmp_path))])
    captured = capsys.readouterr()
    assert code == 0
    logged = [line for line in captured.err.splitlines() if " INFO monitor.run: " in line]
    assert any(line.split(": ", 1)[1].startswith("feature_defaults: fail") for line in logged)
    assert_terminal_safe(captured.err, COMMIT, SYSTEM)
    assert not RAW.search(captured.out)


def test_the_log_formatter_escapes_messages_and_tracebacks() -> None:
    import logging

    from monitor.logs import TerminalFormatter

    try:
        raise ValueError(f"bad commit {COMMIT}")
    except ValueError:
        import sys

        record = logging.LogRecord("monitor.run", logging.ERROR, __file__, 1,
                                   "cycle failed on %s", (SYSTEM,), sys.exc_info())
    line = TerminalFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert line.startswith(f"ERROR monitor.run: cycle failed on {escaped(SYSTEM)}\n")
    assert_terminal_safe(line, COMMIT, SYSTEM)


def test_query_table_escapes_cells(hostile: ContractDB,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["query", "predictions_by_code_version", "--warehouse", hostile.url,
                 "--param", f"start_date={D - dt.timedelta(days=5)}",
                 "--param", f"end_date={D}"])
    out = capsys.readouterr().out
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:2] == ["build_commit_sha", "system_id"] and len(rows) == 1
    assert rows[0].startswith(f"{escaped(COMMIT)}  {escaped(SYSTEM)}")
    assert_terminal_safe(out, COMMIT, SYSTEM)


def test_silences_escape_the_labels_and_the_user(hostile: ContractDB,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.warehouse.duckdb import DuckDBWarehouse

    now = dt.datetime.now(dt.UTC)
    wh = DuckDBWarehouse(hostile.path, "nba_predictions")
    try:
        labels = (("build_commit_sha", COMMIT), ("system_id", SYSTEM))
        WarehouseAlertStore(wh).append([make_event(
            now, "slack-1", "silence", "ppm_default_filled", "critical", labels,
            detail=(now + dt.timedelta(hours=24)).isoformat(), actor=USER)])
    finally:
        wh.close()
    code = main(["silences", "--warehouse", hostile.url])
    out = capsys.readouterr().out
    assert code == 0
    (line,) = out.splitlines()
    assert line.startswith(f"ppm_default_filled {{build_commit_sha={escaped(COMMIT)}, "
                           f"system_id={escaped(SYSTEM)}}} until ")
    assert line.endswith(f"(Slack, by {escaped(USER)})")
    assert_terminal_safe(out, COMMIT, SYSTEM, USER)


def test_check_deployment_escapes_the_serving_commit_and_system(
        hostile: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-deployment", "--warehouse", hostile.url, "--expected-sha", "fix999",
                 "--as-of", ts(D, 23).isoformat()])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("STALE DEPLOYMENT: do not backfill.\n- ")
    assert f"the latest daily batches run {escaped(COMMIT)} (first seen " in out
    assert_terminal_safe(out, COMMIT, SYSTEM)


def test_a_fatal_error_line_is_escaped(hostile: ContractDB,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-batch", "--warehouse", hostile.url, "--execution-id", COMMIT,
                 "--as-of", ts(D, 23).isoformat()])
    err = capsys.readouterr().err
    assert code == 2 and f"no batch with execution_id {escaped(COMMIT)} started" in err
    assert_terminal_safe(err, COMMIT)
