"""Plain-text and JSON renderings of a daily report."""

from __future__ import annotations

from monitor.checks.feature_shift import commits_of_findings, shifts_by_commit
from monitor.model import Status
from monitor.report.format import terminal_safe
from monitor.report.strict_json import dumps
from monitor.validate import DailyReport


def render_text(report: DailyReport) -> str:
    """One line per check (and per changed commit under its findings); every line is
    terminal-safe, as commits, systems and summaries come from the data."""
    lines = [f"validate-daily {report.date.isoformat()}: {report.status.value.upper()}"
             + (f" — no games scheduled on {report.date.isoformat()}"
                if report.status is Status.NO_GAMES else "")]
    if report.calendar_note:
        lines.append(f"  ({report.calendar_note})")
    shifts = shifts_by_commit(report.results)
    for result in report.results:
        lines.append(f"  [{result.status.value:>7}] {result.name}: {result.summary}")
        for commit in commits_of_findings(result):
            if commit in shifts:
                lines.append(f"            {commit} features shifted: {shifts[commit]}")
    return "".join(terminal_safe(line, keep_newlines=False) + "\n" for line in lines)


def render_json(report: DailyReport) -> str:
    return dumps(report.to_json(), indent=2, sort_keys=False) + "\n"
