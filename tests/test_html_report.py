"""The HTML report rendered in headless Chromium: loads without console errors, every
chart is there, the status table holds the expected rows, tables sort."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.demo.options import BROKEN_COMMIT
from tests.browser import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.close()


def test_report_renders_in_chromium(demo_path: Path, tmp_path: Path, browser: Browser,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--warehouse", f"duckdb:///{demo_path}", "--date", "2026-01-12",
                 "--days", "28", "--out", str(out)]) == 0
    html = out.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html  # nothing is fetched: it works offline
    browser.open(out.as_uri())
    assert browser.console_errors() == []
    systems = browser.evaluate("document.querySelectorAll('section.system').length")
    assert systems == 4
    charts = browser.evaluate("Array.from(document.querySelectorAll('figure.chart'))"
                              ".map(f => f.dataset.chart + ':' + !!f.querySelector('svg'))")
    kinds = {"hit-rate", "mae", "defaults", "coverage"}
    assert len(charts) == 4 * len(kinds)
    assert all(c.endswith(":true") for c in charts), charts
    assert {c.split(":")[0].rsplit("-", 1)[0].replace("-catboost_v8", "") for c in charts
            if "catboost_v8" in c} == {"hit-rate", "mae", "defaults", "coverage"}
    rows = browser.evaluate("Array.from(document.querySelectorAll('#status tbody tr'))"
                            ".map(r => r.cells[0].textContent + '=' + r.cells[1].textContent)")
    capsys.readouterr()
    main(["validate-daily", "--warehouse", f"duckdb:///{demo_path}", "--date", "2026-01-12",
          "--format", "json"])
    expected = [f"{c['name']}={c['status']}"
                for c in json.loads(capsys.readouterr().out)["checks"]]
    assert rows == expected and len(rows) == 9
    # What changed with each commit: the broken commit's rows, ppm_avg_last_10 first.
    shift = browser.evaluate("Array.from(document.querySelectorAll('#feature-shift tbody tr'))"
                             ".map(r => r.cells[1].textContent + ' ' + r.cells[3].textContent"
                             " + ' ' + r.cells[4].textContent)")
    broken = [r for r in shift if r.startswith(BROKEN_COMMIT)]
    assert {r.split()[1] for r in broken} == {"ppm_avg_last_10", "has_vegas_line",
                                               "team_win_pct", "vegas_points_line"}
    psi = {r.split()[1]: float(r.split()[2]) for r in broken}
    assert psi["ppm_avg_last_10"] > 1 > psi["team_win_pct"]
    assert "feature_defaults=fail" in rows
    deploys = browser.evaluate("document.querySelectorAll('[data-chart=\"mae-catboost_v8\"] "
                               ".deploy').length")
    assert deploys >= 3
    assert browser.evaluate("document.querySelectorAll('#batches tbody tr').length") > 0
    browser.evaluate("document.querySelector('#status th').click()")
    first = browser.evaluate("document.querySelector('#status tbody tr').cells[0].textContent")
    assert first == "feature_defaults"
    browser.evaluate("document.querySelector('#status th').click()")
    first = browser.evaluate("document.querySelector('#status tbody tr').cells[0].textContent")
    assert first == "vegas_coverage_trend"  # names sort descending on the second click
    shots = Path(os.environ.get("REPORT_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    browser.screenshot(shots / "report.png")
    assert (shots / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
