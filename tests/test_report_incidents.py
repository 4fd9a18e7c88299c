"""The HTML report lists the period's incidents: open ones first, each with its number,
state, severity, cause, members, opened/resolved and its Slack thread (a link under
SLACK_WORKSPACE_URL, else its ts). On hand-made incidents of the alert log."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.commands.report_command import report_page
from monitor.config import MonitorConfig
from monitor.demo import incident_first_date
from monitor.demo.options import BROKEN_COMMIT
from monitor.report.html import thread_url, workspace_base
from monitor.rules.store import WarehouseAlertStore
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB
from tests.incident_history import CHANNEL, FIRST_TS, SECOND_TS, H, T, incident_history

DAY = dt.date(2026, 1, 12)


@pytest.fixture
def db(tmp_path: Path) -> ContractDB:
    db = ContractDB(tmp_path / "w.duckdb")
    WarehouseAlertStore(db.wh).append(incident_history()[0])
    return db


def incident_rows(page: str) -> list[list[str]]:
    table = page.split('<table class="sortable" id="incidents">', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>")
            if "<td" in row]


def test_the_report_lists_the_incidents_open_ones_first(db: ContractDB,
                                                        config: MonitorConfig) -> None:
    now = dt.datetime.now(dt.UTC)
    page, data = report_page(db.wh, config, DAY, 7, now,
                             slack_url="https://acme.slack.com/")
    assert [i.number for i in data.incidents] == [2, 1]
    two, one = incident_rows(page)
    link = f"https://acme.slack.com/archives/{CHANNEL}/p{SECOND_TS.replace('.', '')}"
    assert two == ["#2", '<span class="status fail">open</span>', "warning",
                   "system_id=catboost_v9",
                   "vegas_coverage_dropped [system_id=catboost_v9] — firing",
                   f"{T + 2 * H:%Y-%m-%d %H:%M}", "", f'<a href="{link}">thread</a>']
    assert one[:4] == ["#1", '<span class="status ok">resolved</span>', "critical",
                       "commit:0b5e11ad"]
    assert one[4].split("<br>") == [
        "ppm_default_filled [build_commit_sha=0b5e11ad, system_id=catboost_v8] — resolved",
        "hit_rate_below_55 [build_commit_sha=0b5e11ad, system_id=catboost_v8] — resolved"]
    assert one[5:7] == [f"{T:%Y-%m-%d %H:%M}", f"{T + 30 * H:%Y-%m-%d %H:%M}"]
    # The alerts table lists the members' events, not the incidents' own.
    assert {e.rule for e in data.alerts} == {"ppm_default_filled", "hit_rate_below_55",
                                             "vegas_coverage_dropped"}
    # A period that ended before #2 opened, at the inhibition: only #1, open, its
    # symptom inhibited by its cause.
    page, data = report_page(db.wh, config, T.date(), 1, T + H)
    (row,) = incident_rows(page)
    assert row[1] == '<span class="status fail">open</span>'
    assert row[4].split("<br>")[1] == ("hit_rate_below_55 [build_commit_sha=0b5e11ad, "
                                       "system_id=catboost_v8] — inhibited by "
                                       "ppm_default_filled")


def test_without_a_workspace_url_the_thread_is_its_ts(db: ContractDB,
                                                      config: MonitorConfig) -> None:
    now = dt.datetime.now(dt.UTC)
    page, _ = report_page(db.wh, config, DAY, 7, now)
    assert [row[7] for row in incident_rows(page)] == [f"{CHANNEL} {SECOND_TS}",
                                                       f"{CHANNEL} {FIRST_TS}"]
    page, _ = report_page(db.wh, config, DAY, 7, now, slack_url="acme.slack.com")
    assert "SLACK_WORKSPACE_URL is not an https URL" in page
    assert [row[7] for row in incident_rows(page)][0] == f"{CHANNEL} {SECOND_TS}"


def test_the_report_command_links_under_the_environments_workspace(
        db: ContractDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db.close()
    monkeypatch.setenv("SLACK_WORKSPACE_URL", "https://acme.slack.com")
    out = tmp_path / "report.html"
    assert main(["report", "--warehouse", db.url, "--date", str(DAY), "--days", "7",
                 "--out", str(out)]) == 0
    assert f'href="https://acme.slack.com/archives/{CHANNEL}/p' in out.read_text()


def test_no_incident_says_so(tmp_path: Path, config: MonitorConfig) -> None:
    empty = ContractDB(tmp_path / "empty.duckdb")
    page, data = report_page(empty.wh, config, DAY, 7, dt.datetime.now(dt.UTC))
    empty.close()
    assert data.incidents == [] and "No incident was open in the period." in page


def test_the_cycles_incident_is_in_the_report(demo_path: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              config: MonitorConfig) -> None:
    """One cycle after the demo's first broken batch opens the broken commit's incident;
    the report lists it, open, with its alerts as members."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(tmp_path / "metrics"))
    first = incident_first_date(DEMO_OPTS)
    as_of = dt.datetime.combine(first, dt.time(15, 15), tzinfo=dt.UTC)
    assert main(["run", "--warehouse", f"duckdb:///{path}", "--as-of", as_of.isoformat()]) == 0
    wh = DuckDBWarehouse(path, read_only=True)
    try:
        page, data = report_page(wh, config, first, 1, as_of + H)
    finally:
        wh.close()
    (row,) = [r for r in incident_rows(page) if r[3] == f"commit:{BROKEN_COMMIT}"]
    assert row[1:3] == ['<span class="status fail">open</span>', "critical"]
    assert "vegas_line_feature_mismatch [" in row[4] and row[5] == f"{as_of:%Y-%m-%d %H:%M}"


def test_slack_permalinks() -> None:
    assert workspace_base("https://acme.slack.com/") == "https://acme.slack.com"
    for bad in (None, "", "http://acme.slack.com", "acme.slack.com", "https://",
                "https://acme.slack.com/?x=1"):
        assert workspace_base(bad) is None, bad
    assert thread_url("https://acme.slack.com", "C0ALERTS", "1767971700.000100") == \
        "https://acme.slack.com/archives/C0ALERTS/p1767971700000100"
