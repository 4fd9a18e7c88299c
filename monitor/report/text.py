"""Plain-text and JSON renderings of a daily report."""

from __future__ import annotations

import json

from monitor.model import Status
from monitor.validate import DailyReport


def render_text(report: DailyReport) -> str:
    lines = [f"validate-daily {report.date.isoformat()}: {report.status.value.upper()}"
             + (f" — no games scheduled on {report.date.isoformat()}"
                if report.status is Status.NO_GAMES else "")]
    if report.calendar_note:
        lines.append(f"  ({report.calendar_note})")
    for result in report.results:
        lines.append(f"  [{result.status.value:>7}] {result.name}: {result.summary}")
    return "\n".join(lines) + "\n"


def render_json(report: DailyReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False, default=str) + "\n"
