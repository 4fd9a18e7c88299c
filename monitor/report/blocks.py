"""validate-daily as Slack Block Kit: the answer to `/validate-daily` in Slack. The
same report data as `--format markdown` — the one-line verdict, a row per check with
its status and evidence, the next steps — shaped for Slack's limits. Pure."""

from __future__ import annotations

from typing import Any

from monitor.checks.feature_shift import changed_commits
from monitor.model import CheckResult, Status
from monitor.notify.formats.block_kit import MAX_BLOCKS, clip, escape
from monitor.report.markdown import ICONS, next_step
from monitor.validate import DailyReport

NOT_OK = (Status.FAIL, Status.WARN, Status.NO_DATA, Status.ERROR)


def _commits(result: CheckResult) -> list[str]:
    """The commits behind a check's firing findings: what the verdict names."""
    return sorted({f.observation.label("build_commit_sha") for f in result.findings
                   if f.state == "firing"} - {""})


def verdict(report: DailyReport) -> str:
    """One line, in mrkdwn: the worst status and what is wrong, naming the commits."""
    failing = [r for r in report.results
               if r.status not in (Status.OK, Status.WARN, Status.NO_GAMES)]
    parts = []
    for r in failing:
        commits = _commits(r)
        named = f" (commit {', '.join(f'`{escape(c)}`' for c in commits)})" if commits else ""
        parts.append(f"{escape(r.name)} {r.status.value}{named}")
    what = ", ".join(parts) or "all checks passed"
    if report.status is Status.NO_GAMES:
        what = f"no games scheduled on {report.date.isoformat()}"
    return (f"{ICONS[report.status]} *validate-daily {report.date.isoformat()}: "
            f"{report.status.value.upper()}* — {what}")


def report_blocks(report: DailyReport) -> dict[str, Any]:
    """The message for a slash command's response_url: `text` (the notification) and
    `blocks`."""
    line = verdict(report)
    blocks: list[dict[str, Any]] = [{"type": "section",
                                     "text": {"type": "mrkdwn", "text": clip(line)}}]
    if report.calendar and not report.calendar.known:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": clip(f"_{escape(report.calendar_note)}_")}]})
    blocks.append({"type": "divider"})
    # Room for the verdict, the note, the divider, what changed, the next steps and "more".
    shown = report.results[:MAX_BLOCKS - 7]
    for r in shown:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            f"{ICONS[r.status]} *{escape(r.name)}* — {r.status.value}\n{escape(r.summary)}")}})
    if len(report.results) > len(shown):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"and {len(report.results) - len(shown)} more checks")}]})
    changed = changed_commits(report.results)
    if changed:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            "*What changed with these commits* (feature shift vs the commit each "
            "replaced)\n" + "\n".join(f"• `{escape(c)}`: {escape(t)}"
                                      for c, t in changed.items()))}})
    steps = []
    for r in report.results:
        if r.status in NOT_OK:
            step, links = next_step(r, report)
            runbook = " " + " ".join(f"<{escape(url)}|Runbook>" if url
                                     else f"Runbook: `{escape(text)}`"
                                     for text, url in links) if links else ""
            steps.append(f"• {escape(step)}{runbook}")
    if steps:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(
            "*Next steps*\n" + "\n".join(steps))}})
    text = line.replace("*", "")
    return {"text": clip(text), "blocks": blocks}
