"""Blocking a commit from the command line: `block-commit`, `unblock-commit`, `blocks`,
and what a block does — `check-batch`, `check-deployment` and the worker's gate refuse
every batch of the commit, naming who blocked it, when and why — on DuckDB warehouses,
past the alert state's 90-day horizon, and on the report page."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.commands.report_command import report_page
from monitor.config import MonitorConfig
from monitor.gate import GateInputError, blocked_commits, check_batch
from monitor.migrations import ensure_schema
from monitor.rules.blocks import CommitBlock, block_event
from monitor.rules.state import BLOCK_RULE
from monitor.rules.store import (
    BLOCK_HORIZON,
    STATE_HORIZON,
    MemoryAlertStore,
    WarehouseAlertStore,
)
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB, features, ts
from tests.slates import BATCH_DAY as DAY
from tests.slates import GOOD, warehouse_with_a_batch

ROOT = Path(__file__).resolve().parent.parent



def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The usage error argparse prints for these arguments (exit 2)."""
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_block_then_check_batch_blocks_naming_who_and_why_and_unblock_lifts_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    db.close()
    url = ("--warehouse", db.url)
    check = ("check-batch", *url, "--execution-id", "exec-good")
    assert run(capsys, *check)[0] == 0

    code, out, _ = run(capsys, "block-commit", GOOD, "--reason", "stale features, INC-7",
                       "--by", "alice", *url)
    assert code == 0
    assert out.startswith(f"blocked {GOOD}, by alice: stale features, INC-7.")

    code, out, _ = run(capsys, *check)
    assert code == 1 and out.startswith("BLOCK: catboost_v8 ")
    line = next(x for x in out.splitlines() if "commit_blocked" in x)
    assert re.fullmatch(
        rf"  - critical commit_blocked: commit {GOOD} is blocked by alice since "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC: stale features, INC-7 \(`prediction-monitor "
        rf"unblock-commit {GOOD}` lifts it\)", line), line
    code, out, _ = run(capsys, *check, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "block"
    (reason,) = [r for r in data["batches"][0]["reasons"] if r["rule"] == "commit_blocked"]
    assert (reason["severity"], reason["metric"], reason["n"]) == (
        "critical", "build_commit_sha", 40)
    assert "alice" in reason["message"] and "stale features, INC-7" in reason["message"]

    # The pre-backfill gate refuses the commit too, though it is the serving one.
    code, out, _ = run(capsys, "check-deployment", *url, "--expected-sha", GOOD)
    assert code == 1
    assert out.startswith("BLOCKED COMMIT: do not backfill.\n- commit_blocked: commit "
                          f"{GOOD} is blocked by alice since ")
    # An abbreviation of the commit is the commit.
    code, out, _ = run(capsys, "check-deployment", *url, "--expected-sha", GOOD[:7])
    assert code == 1 and "stale features, INC-7" in out

    # Blocking it again changes nothing: the first block, its reason and author, stands.
    code, out, _ = run(capsys, "block-commit", GOOD, "--reason", "other", "--by", "carol",
                       *url)
    assert code == 0 and out.startswith(f"{GOOD} is already blocked, by alice since ")
    code, out, _ = run(capsys, "blocks", *url)
    assert code == 0
    assert re.fullmatch(rf"{GOOD} blocked by alice since \d{{4}}-\d\d-\d\d \d\d:\d\d UTC: "
                        r"stale features, INC-7\n", out), out

    # --by defaults to the user of the environment.
    monkeypatch.setenv("USER", "bob")
    code, out, _ = run(capsys, "unblock-commit", GOOD, *url)
    assert code == 0 and out.startswith(f"unblocked {GOOD}, by bob (blocked by alice since ")
    wh = DuckDBWarehouse(db.path, read_only=True)
    try:
        events = [e for e in WarehouseAlertStore(wh).load(dt.datetime.now(dt.UTC))
                  if e.rule == BLOCK_RULE]
    finally:
        wh.close()
    assert [(e.event_type, e.actor, e.detail) for e in events] == [
        ("blocked", "alice", "stale features, INC-7"), ("unblocked", "bob", None)]

    assert run(capsys, *check)[0] == 0
    assert run(capsys, "check-deployment", *url, "--expected-sha", GOOD)[0] == 0
    assert run(capsys, "blocks", *url) == (0, "no blocked commit\n", "")
    code, out, _ = run(capsys, "blocks", *url, "--format", "json")
    assert code == 0 and json.loads(out)["blocks"] == []

    code, out, err = run(capsys, "unblock-commit", GOOD, "--by", "bob", *url)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: commit {GOOD} is not blocked")


def test_by_falls_back_to_logname_then_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    db.close()
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.setenv("LOGNAME", "dora")
    code, out, _ = run(capsys, "block-commit", GOOD, "--reason", "r", "--warehouse", db.url)
    assert code == 0 and ", by dora: r." in out
    monkeypatch.delenv("LOGNAME")
    code, out, _ = run(capsys, "unblock-commit", GOOD, "--warehouse", db.url)
    assert code == 0 and out.startswith(f"unblocked {GOOD}, by cli ")


def test_a_bad_sha_reason_or_name_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    db.close()
    url = ("--warehouse", db.url)
    assert "the following arguments are required: --reason" in usage_error(
        capsys, "block-commit", GOOD, *url)
    assert "argument --reason: the reason is empty" in usage_error(
        capsys, "block-commit", GOOD, "--reason", "  ", *url)
    assert "argument --reason: the reason holds a control character" in usage_error(
        capsys, "block-commit", GOOD, "--reason", "a\x1b[2Jb", *url)
    assert "argument --by: the name is empty" in usage_error(
        capsys, "block-commit", GOOD, "--reason", "r", "--by", "", *url)
    assert "argument SHA: the commit is empty" in usage_error(
        capsys, "block-commit", "", "--reason", "r", *url)
    assert "argument SHA: the commit holds a control character" in usage_error(
        capsys, "unblock-commit", "abc\x07", *url)
    assert "holds a blank" in usage_error(capsys, "block-commit", "abc def", "--reason", "r",
                                          *url)
    for no_commit in ("unknown", "all"):
        assert "names no commit" in usage_error(capsys, "block-commit", no_commit,
                                                "--reason", "r", *url)
    # Nothing was written.
    assert run(capsys, "blocks", *url) == (0, "no blocked commit\n", "")


def test_a_block_older_than_the_alert_state_horizon_is_still_in_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    now = dt.datetime.now(dt.UTC)
    long_ago = now - STATE_HORIZON - dt.timedelta(days=120)
    old = block_event(long_ago, "slack:1", GOOD, actor="U0ONCALL", reason="bad backfill")
    WarehouseAlertStore(db.wh).append([old])
    db.close()
    wh = DuckDBWarehouse(db.path, read_only=True)
    try:
        store = WarehouseAlertStore(wh)
        assert old.event_id not in {e.event_id for e in store.load(now)}  # alerts forget it
        assert store.load_blocks(now) == {GOOD: CommitBlock(GOOD, "U0ONCALL", long_ago,
                                                            "bad backfill")}
    finally:
        wh.close()
    code, out, _ = run(capsys, "check-batch", "--warehouse", db.url, "--execution-id",
                       "exec-good")
    assert code == 1
    assert (f"commit_blocked: commit {GOOD} is blocked by U0ONCALL since "
            f"{long_ago:%Y-%m-%d %H:%M} UTC: bad backfill") in out
    code, out, _ = run(capsys, "blocks", "--warehouse", db.url, "--format", "json")
    assert json.loads(out)["blocks"] == [{
        "commit": GOOD, "blocked_by": "U0ONCALL", "blocked_at": long_ago.isoformat(),
        "reason": "bad backfill"}]
    # Judged as of a time before the block, the batch passes: the block did not exist.
    before = (long_ago - dt.timedelta(days=1)).isoformat()
    code, _, _ = run(capsys, "check-deployment", "--warehouse", db.url, "--expected-sha",
                     GOOD, "--as-of", before)
    assert code == 2  # no daily batch then: cannot tell, but not blocked


def test_the_memory_store_keeps_blocks_past_the_horizon_within_its_own() -> None:
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    kept = now - dt.timedelta(days=400)
    lapsed = now - BLOCK_HORIZON - dt.timedelta(days=1)
    store = MemoryAlertStore([
        block_event(lapsed, "cli:1", "aaa1111", actor="a", reason="too old"),
        block_event(kept, "cli:2", "bbb2222", actor="b", reason="kept"),
        block_event(kept, "cli:3", "ccc3333", actor="c", reason="lifted"),
        block_event(kept + dt.timedelta(days=1), "cli:4", "ccc3333", actor="c", reason="",
                    blocked=False),
        block_event(now + dt.timedelta(days=1), "cli:5", "ddd4444", actor="d",
                    reason="later than as_of")])
    assert store.load(now) == []
    assert store.load_blocks(now) == {"bbb2222": CommitBlock("bbb2222", "b", kept, "kept")}


def test_a_blocked_commits_batch_blocks_even_when_its_rows_cannot_be_judged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    db.batch(day=DAY, commit=GOOD, started=ts(DAY, 16), status="failed", error="OOM",
             execution_id="exec-failed")
    db.batch(day=DAY, commit=GOOD, started=ts(DAY, 17), execution_id="exec-running")
    db.wh.connection.execute(
        "UPDATE nba_predictions.prediction_execution_log SET execution_end_timestamp = NULL "
        "WHERE execution_id = 'exec-running'")
    db.close()
    url = ("--warehouse", db.url)
    for eid in ("exec-failed", "exec-running"):
        assert run(capsys, "check-batch", *url, "--execution-id", eid)[0] == 2
    assert run(capsys, "block-commit", GOOD, "--reason", "r", "--by", "a", *url)[0] == 0
    for eid in ("exec-failed", "exec-running"):
        code, out, _ = run(capsys, "check-batch", *url, "--execution-id", eid,
                           "--format", "json")
        batch = json.loads(out)["batches"][0]
        assert code == 1 and batch["verdict"] == "block" and batch["cannot_tell"] is None
        assert batch["reasons"][0]["rule"] == "commit_blocked", eid


def test_the_gate_blocks_rows_of_a_blocked_commit_given_as_a_set_or_a_mapping(
        config: MonitorConfig) -> None:
    rows = [{"line_value": 20.5, "critical_features": features(20.5),
             "build_commit_sha": "abc1234def", "system_id": "catboost_v8",
             "prediction_id": f"p{i}"} for i in range(40)]
    assert not check_batch(rows, config=config, blocked_commits={"fff9999"}).blocked
    assert not check_batch(rows, config=config, blocked_commits=set()).blocked

    by_set = check_batch(rows, config=config, blocked_commits={"abc1234"})
    assert by_set.blocked
    assert [(r.rule, r.severity, r.n) for r in by_set.reasons] == [
        ("commit_blocked", "critical", 40)]
    assert by_set.reasons[0].message == ("commit_blocked: commit abc1234def is blocked (in "
                                         "the blocked commits given to the gate)")
    assert by_set.message.startswith("blocked by the batch gate: commit_blocked: ")

    at = dt.datetime(2026, 1, 9, 15, 4, tzinfo=dt.UTC)
    mapping = {"abc1234def": CommitBlock("abc1234def", "alice", at, "stale code")}
    by_mapping = check_batch(rows, config=config, blocked_commits=mapping)
    assert by_mapping.blocked and by_mapping.reasons[0].message == (
        "commit_blocked: commit abc1234def is blocked by alice since 2026-01-09 15:04 UTC: "
        "stale code (`prediction-monitor unblock-commit abc1234def` lifts it)")

    # Every distinct commit of the rows is checked; a batch too small to judge still
    # blocks; rows without a commit are no commit.
    mixed = [*rows[:3], {**rows[3], "build_commit_sha": "zzz0000"}]
    verdict = check_batch(mixed, config=config, blocked_commits={"zzz0000"})
    assert verdict.blocked
    assert [(r.rule, r.n) for r in verdict.reasons if r.blocking] == [("commit_blocked", 1)]
    assert "zzz0000" in verdict.reasons[0].message
    unknown = [{**r, "build_commit_sha": None} for r in rows]
    assert not check_batch(unknown, config=config, blocked_commits={"unknown"}).blocked
    with pytest.raises(GateInputError, match="not str"):
        check_batch(rows, config=config, blocked_commits="abc1234def")


def test_the_gate_reads_the_blocks_of_a_warehouse(tmp_path: Path,
                                                   config: MonitorConfig) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    WarehouseAlertStore(db.wh).append([
        block_event(at, "cli:1", "abc1234def", actor="alice", reason="stale code")])
    db.close()
    blocks = blocked_commits(db.url, config=config)
    assert blocks == {"abc1234def": CommitBlock("abc1234def", "alice", at, "stale code")}
    assert blocked_commits(db.url, config=config, as_of=at - dt.timedelta(seconds=1)) == {}
    rows = [{"line_value": 20.5, "critical_features": features(20.5),
             "build_commit_sha": "abc1234def"}] * 20
    assert check_batch(rows, config=config, blocked_commits=blocks).blocked


def test_the_report_page_lists_the_blocks_in_force(
        demo_path: Path, tmp_path: Path, config: MonitorConfig) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    now = dt.datetime.now(dt.UTC)
    wh = DuckDBWarehouse(path)
    try:
        page, data = report_page(wh, config, dt.date(2026, 1, 12), 7, now)
        assert data.commit_blocks == [] and "No commit is blocked." in page
        at = now - dt.timedelta(days=200)
        WarehouseAlertStore(wh).append([block_event(
            at, "cli:1", "0b5e11ad", actor="alice", reason="<b>stale</b> backfill")])
        page, data = report_page(wh, config, dt.date(2026, 1, 12), 7, now)
    finally:
        wh.close()
    assert data.commit_blocks == [CommitBlock("0b5e11ad", "alice", at,
                                              "<b>stale</b> backfill")]
    table = page.split('<table class="sortable" id="commit-blocks">', 1)[1].split(
        "</table>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table)
    assert cells == ["0b5e11ad", "alice", f"{at:%Y-%m-%d %H:%M}",
                     "&lt;b&gt;stale&lt;/b&gt; backfill"]
    assert "No commit is blocked." not in page


def documented_blocks_json() -> Any:
    page = (ROOT / "docs" / "commands.md").read_text()
    section = page.split("\n## `prediction-monitor blocks`\n", 1)[1].split("\n## ", 1)[0]
    return json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])


def test_the_blocks_json_is_the_one_the_docs_show(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    db.close()
    run(capsys, "block-commit", GOOD, "--reason", "r", "--by", "alice", "--warehouse", db.url)
    code, out, _ = run(capsys, "blocks", "--warehouse", db.url, "--format", "json")
    data, documented = json.loads(out), documented_blocks_json()
    assert code == 0 and set(data) == set(documented) == {"as_of", "blocks"}
    assert [set(b) for b in data["blocks"]] == [set(b) for b in documented["blocks"]]
    (block,) = data["blocks"]
    assert (block["commit"], block["blocked_by"], block["reason"]) == (GOOD, "alice", "r")
    assert dt.datetime.fromisoformat(block["blocked_at"]).utcoffset() == dt.timedelta(0)


def test_block_commit_makes_the_schema_check_of_writing_commands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A warehouse a newer release migrated is never written to: exit 2, nothing written."""
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    ensure_schema(db.wh, migrate=True)
    db.wh.query("record_schema_migration", {
        "version": 999, "name": "999_from_the_future.sql",
        "applied_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "release": "9.9.9"})
    db.close()
    code, out, err = run(capsys, "block-commit", GOOD, "--reason", "r", "--by", "a",
                         "--warehouse", db.url)
    assert (code, out) == (2, "")
    assert err.startswith("schema error: ") and "deploy the newer release" in err
    assert run(capsys, "blocks", "--warehouse", db.url) == (0, "no blocked commit\n", "")


def test_unblocking_an_abbreviation_of_several_blocked_commits_names_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb")
    db.close()
    url = ("--warehouse", db.url)
    for sha in ("abc1234aaa", "abc1234bbb"):
        assert run(capsys, "block-commit", sha, "--reason", "r", "--by", "a", *url)[0] == 0
    code, _, err = run(capsys, "unblock-commit", "abc1234", "--by", "a", *url)
    assert code == 2
    assert err.startswith("error: abc1234 matches 2 blocked commits (abc1234aaa, abc1234bbb)")
    code, out, _ = run(capsys, "unblock-commit", "abc1234bbb", "--by", "a", *url)
    assert code == 0 and out.startswith("unblocked abc1234bbb, by a ")
    code, out, _ = run(capsys, "unblock-commit", "abc1234", "--by", "a", *url)
    assert code == 0 and out.startswith("unblocked abc1234aaa, by a ")
