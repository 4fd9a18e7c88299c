"""validate-daily --format markdown: fits a chat reply (the /validate-daily skill)."""

from __future__ import annotations

from monitor.checks.feature_shift import changed_commits
from monitor.model import CheckResult, Status
from monitor.report.format import runbook_link, terminal_safe
from monitor.validate import DailyReport

ICONS = {Status.OK: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.NO_DATA: "❔",
         Status.ERROR: "💥", Status.NO_GAMES: "💤"}

NEXT_STEPS = {
    "feature_defaults": "Find the commit's predictions with default features: "
                        "`prediction-monitor query feature_values_at_prediction_time "
                        "--param game_date={date}`; do not backfill until "
                        "`prediction-monitor check-deployment` passes.",
    "hit_rate_by_commit": "Compare commits: `prediction-monitor query "
                          "predictions_by_code_version --param start_date={date}`.",
    "vegas_coverage_trend": "Check the Vegas line feed and failed batches in "
                            "prediction_execution_log for {date}.",
    "outcome_drift": "A commit's errors drifted from the commit it replaced: compare them "
                     "with `prediction-monitor query predictions_by_code_version "
                     "--param start_date=<14 days before> --param end_date={date}`.",
    "prediction_edge": "The predictions hug the Vegas line: read them against their lines "
                       "with `prediction-monitor query predictions_against_line "
                       "--param game_date={date}` and look for an input the model lost.",
    "provenance": "Find which code wrote the slate; before any backfill run "
                  "`prediction-monitor check-deployment --expected-sha <fixed commit>`.",
    "freshness": "A slate has no batch or no grades: check the prediction and grading "
                 "jobs for {date}.",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DailyReport) -> str:
    """The report as markdown, terminal-safe: it is printed as often as it is posted,
    and commits, systems and summaries come from the data."""
    failing = [r for r in report.results
               if r.status not in (Status.OK, Status.WARN, Status.NO_GAMES)]
    verdict = ("all checks passed" if not failing
               else ", ".join(f"{r.name} {r.status.value}" for r in failing))
    if report.status is Status.NO_GAMES:
        verdict = f"no games scheduled on {report.date.isoformat()}"
    lines = [
        f"**{ICONS[report.status]} validate-daily {report.date.isoformat()}: "
        f"{report.status.value.upper()}** — {verdict}",
        "",
        "| check | status | evidence |",
        "|---|---|---|",
    ]
    if report.calendar and not report.calendar.known:
        lines[1:1] = ["", f"_{_cell(report.calendar_note)}_"]
    lines += [f"| {r.name} | {ICONS[r.status]} {r.status.value} | {_cell(r.summary)} |"
              for r in report.results]
    changed = changed_commits(report.results)
    if changed:
        lines += ["", "**What changed with these commits** (feature shift vs the commit "
                  "each replaced)", ""] + [f"- `{_cell(c)}`: {_cell(t)}"
                                           for c, t in changed.items()]
    steps = [_next_step(r, report) for r in report.results
             if r.status in (Status.FAIL, Status.WARN, Status.NO_DATA, Status.ERROR)]
    if steps:
        lines += ["", "**Next steps**", ""] + [f"- {s}" for s in steps]
    return terminal_safe("\n".join(lines)) + "\n"


def _next_step(result: CheckResult, report: DailyReport) -> str:
    step, links = next_step(result, report)
    runbook = (" Runbook: " + ", ".join(f"<{url}>" if url else f"`{text}`"
                                        for text, url in links) + "." if links else "")
    return f"{_cell(step) if result.status is Status.ERROR else step}{runbook}"


def next_step(result: CheckResult, report: DailyReport) -> (
    tuple[str, list[tuple[str, str | None]]]
):
    """The next step for a check that is not ok, and its runbook links as (text, url
    or None: no link, see runbook_link) (also rendered as Block Kit for Slack,
    monitor/report/blocks.py)."""
    date = report.date.isoformat()
    if result.status is Status.ERROR:
        return f"`{result.name}`: the monitor could not run this check — {result.summary}", []
    if result.status is Status.NO_DATA:
        return (f"`{result.name}`: no data for {date} — confirm the prediction batches "
                "and grading ran."), []
    firing = [f for f in result.findings if f.state == "firing"]
    rules = sorted({f.rule for f in firing})
    links = [runbook_link(url, report.runbook_base_url)
             for url in sorted({f.runbook_url for f in firing if f.runbook_url})]
    step = NEXT_STEPS.get(result.name, "Investigate the evidence above.").format(date=date)
    return f"`{result.name}` ({', '.join(rules)}): {step}", links
