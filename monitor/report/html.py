"""One self-contained HTML page: inline CSS, inline SVG, a few lines of inline JS
for sortable tables. Works offline; every number comes with its sample size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from urllib.parse import quote, urlsplit

from monitor.config import MonitorConfig
from monitor.model import Status
from monitor.report.charts import Band, interval_chart, line_chart, num, pct
from monitor.report.history import ReportData, SystemHistory
from monitor.rules.incidents import Incident, MemberStatus
from monitor.stats import wilson_interval

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;width:100%}th,td{padding:4px 8px;
border-bottom:1px solid #eee;text-align:left;vertical-align:top}th{background:#f3f3f3;
cursor:pointer;user-select:none}th.sorted-asc::after{content:" ▲"}
th.sorted-desc::after{content:" ▼"}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{font-weight:600;border-radius:4px;padding:1px 6px}.ok{background:#e3f4e3}
.warn{background:#fff3cd}.fail{background:#f8d7da}.no-data{background:#e2e3f3}
.error{background:#f5c2c7}.no-games{background:#eee}
figure{margin:8px 0}figcaption{color:#555;font-size:12px}
svg{width:100%;height:auto}.empty{color:#777}
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('sorted-asc');
      table.querySelectorAll('th').forEach(function (h) {
        h.classList.remove('sorted-asc', 'sorted-desc');
      });
      th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.sort || a.cells[col].textContent;
        var y = b.cells[col].dataset.sort || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _table(table_id: str, headers: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]]) -> (
    str
):
    """rows: cells of (text, sort key); numbers right-aligned when the key is numeric."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for text, key in row:
            numeric = key.replace(".", "", 1).lstrip("-").isdigit()
            cls = ' class="num"' if numeric else ""
            cells.append(f'<td{cls} data-sort="{escape(key)}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _figure(chart_id: str, svg: str, caption: str) -> str:
    return (f'<figure class="chart" data-chart="{escape(chart_id)}">{svg}'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _bands(history: SystemHistory, end: dt.date) -> tuple[list[Band], list[tuple[dt.date, str]]]:
    first = sorted(history.commit_first_days().items(), key=lambda kv: kv[1])
    bands = [Band(day, (first[i + 1][1] - dt.timedelta(days=1)) if i + 1 < len(first) else end,
                  f"commit {commit}") for i, (commit, day) in enumerate(first)]
    markers = [(day, f"deploy of {commit}") for commit, day in first[1:]]
    return bands, markers


def _system_section(history: SystemHistory, data: ReportData, config: MonitorConfig) -> str:
    sys_id = history.system
    bands, markers = _bands(history, data.date)
    threshold = next((r.below for r in config.rules if r.metric == "hit_rate"
                      and r.below is not None), None)
    per_commit: dict[str, list[int]] = {}
    mae_by_day = []
    for day, commits in sorted(history.outcomes.items()):
        graded = sum(v[0] for v in commits.values())
        if graded:
            mae_by_day.append((day, sum(v[1] for v in commits.values()) / graded))
        for commit, (_, _, picks, hits) in commits.items():
            agg = per_commit.setdefault(commit, [0, 0])
            agg[0] += picks
            agg[1] += hits
    hit_rows = []
    for commit, (picks, hits) in sorted(per_commit.items()):
        interval = wilson_interval(hits, picks)
        if interval:
            hit_rows.append((commit, hits / picks, interval[0], interval[1], picks))
    default_series: dict[str, list[tuple[dt.date, float]]] = {}
    for day, feature_counts in sorted(history.features.items()):
        for commit, (with_line, mismatch, _, _) in feature_counts.items():
            if with_line:
                default_series.setdefault(commit, []).append((day, mismatch / with_line))
    cov = sorted((d, v) for d, v in history.coverage.items() if v[0] is not None)
    coverage = {"vegas coverage": [(d, float(v[0] or 0)) for d, v in cov]}
    base = [(d, float(v[1])) for d, v in cov if v[1] is not None]
    # Lines and bands come from the rules themselves: no rule, no line (never a copy
    # of a threshold that drifts from alerts.yaml).
    limit = next((r.drop_from_baseline for r in config.rules if r.metric == "vegas_coverage"
                  and r.drop_from_baseline is not None), None)
    band = ([(d, b - limit) for d, b in base], [(d, b + limit) for d, b in base]) if (
        base and limit is not None) else None
    mismatch_limit = next((r.above for r in config.rules if r.metric == "mismatch_share"
                           and r.above is not None), None)
    sentinel = next((f.sentinel for f in config.features if f.key == "has_vegas_line"), 0.0)
    slug = sys_id.replace(" ", "-")
    return "".join([
        f'<section class="system" id="system-{escape(slug)}"><h2>{escape(sys_id)}</h2>',
        _figure(f"hit-rate-{slug}", interval_chart(
            f"hit rate per commit, {sys_id}", hit_rows, threshold=threshold),
            "Hit rate of OVER/UNDER picks per commit over the period, 95% Wilson interval; "
            "dashed line: the alert threshold."),
        _figure(f"mae-{slug}", line_chart(
            f"MAE per day, {sys_id}", {"MAE": mae_by_day}, fmt=num, bands=bands,
            markers=markers),
            "Mean absolute error per game date; shaded bands: the commit serving; "
            "dotted lines: deploys."),
        _figure(f"defaults-{slug}", line_chart(
            f"has_vegas_line default share per day and commit, {sys_id}", default_series,
            fmt=pct, threshold=mismatch_limit, markers=markers),
            "Share of predictions with a line whose critical_features say has_vegas_line "
            f"= {sentinel}, per commit."),
        _figure(f"coverage-{slug}", line_chart(
            f"Vegas coverage, {sys_id}", coverage, fmt=pct, band_series=band),
            "pct_with_vegas_line of non-failed batches" + (
                f"; green band: trailing baseline ± {limit * 100:.0f} points (the drop "
                "rule's limit)." if limit is not None else "; no drop rule, no band.")),
        "</section>"])


def _batches_table(data: ReportData) -> str:
    rows = []
    for sys_id, history in data.systems.items():
        for day, (_, _, failed, partial, blocked, batches) in sorted(history.coverage.items()):
            if failed or partial or blocked:
                rows.append([(escape(str(day)), str(day)), (escape(sys_id), sys_id),
                             (str(failed), str(failed)), (str(partial), str(partial)),
                             (str(blocked), str(blocked)), (str(batches), str(batches))])
    if not rows:
        return '<p class="empty">No failed, partial or blocked batches in the period.</p>'
    return _table("batches", ["game date", "system", "failed", "partial", "blocked",
                              "batches"], rows)


def _blocked_table(data: ReportData) -> str:
    """Batches the gate blocked, per system and commit: how many, the latest, and why."""
    if not data.blocked:
        return '<p class="empty">No batch was blocked by the batch gate in the period.</p>'
    rows = []
    for r in data.blocked:
        at = r["last_blocked_at"].strftime("%Y-%m-%d %H:%M") if r["last_blocked_at"] else ""
        cells = [str(r["system_id"]), str(r["build_commit_sha"]), str(r["blocked_batches"]),
                 str(r["last_blocked_game_date"] or ""), at,
                 str(r["last_blocked_execution_id"] or ""), str(r["last_blocked_reasons"] or "")]
        rows.append([(escape(c), c) for c in cells])
    return _table("blocked", ["system", "commit", "blocked", "latest game date",
                              "latest (UTC)", "execution", "reasons"], rows)


def _commit_blocks_table(data: ReportData) -> str:
    """The commits people blocked, in force now: who, since when, why."""
    if not data.commit_blocks:
        return '<p class="empty">No commit is blocked.</p>'
    rows = []
    for b in data.commit_blocks:
        at = b.blocked_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        rows.append([(escape(b.commit), b.commit), (escape(b.blocked_by), b.blocked_by),
                     (at, at), (escape(b.reason), b.reason)])
    return _table("commit-blocks", ["commit", "blocked by", "since (UTC)", "why"], rows)


def workspace_base(url: str | None) -> str | None:
    """The Slack workspace's https URL, without a trailing slash; None when unset or
    not one."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        return None
    return url.strip().rstrip("/")


def thread_url(workspace: str, channel: str, ts: str) -> str:
    """Slack's permalink of a message: /archives/CHANNEL/p + its ts without the dot."""
    return (f"{workspace}/archives/{quote(channel, safe='')}/"
            f"p{quote(ts.replace('.', ''), safe='')}")


def _incident_members(inc: Incident) -> str:
    """Each member's rule, labels and status, firing ones first."""
    order = {MemberStatus.FIRING: 0, MemberStatus.INHIBITED: 1, MemberStatus.RESOLVED: 2}
    parts = []
    for m in sorted(inc.members.values(), key=lambda m: (order[m.status], m.first_fired,
                                                          m.rule, m.fingerprint)):
        labels = ", ".join(f"{k}={v}" for k, v in m.labels)
        status = f"inhibited by {m.inhibited_by}" if (
            m.status is MemberStatus.INHIBITED and m.inhibited_by) else m.status.value
        parts.append(f"{escape(m.rule)} [{escape(labels)}] — {escape(status)}")
    return "<br>".join(parts)


def _incidents_table(data: ReportData, slack_url: str | None) -> str:
    """The incidents open at some time in the period: open ones first, each with its
    members and its Slack thread (a link when the workspace's URL is known)."""
    if not data.incidents:
        return f'<p class="empty">No incident was open in the period. {data.alerts_note}</p>'
    workspace = workspace_base(slack_url)
    note = ""
    if slack_url and workspace is None:
        note = ('<p class="empty">SLACK_WORKSPACE_URL is not an https URL '
                "(https://TEAM.slack.com): threads are shown by their ts.</p>")
    rows = []
    for inc in data.incidents:
        opened = inc.opened_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        resolved = (inc.resolved_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
                    if inc.resolved_at else "")
        state = "open" if inc.open else "resolved"
        active = len(inc.active_members())
        thread = ""
        if inc.slack_ts:
            if workspace and inc.slack_channel:
                link = thread_url(workspace, inc.slack_channel, inc.slack_ts)
                thread = f'<a href="{escape(link)}">thread</a>'
            else:
                thread = escape(f"{inc.slack_channel or ''} {inc.slack_ts}".strip())
        rows.append([(f"#{inc.number}", str(inc.number)),
                     (f'<span class="status {"fail" if inc.open else "ok"}">{state}</span>',
                      "0" if inc.open else "1"),
                     (escape(inc.severity), inc.severity), (escape(inc.key), inc.key),
                     (_incident_members(inc), str(active)),
                     (opened, opened), (resolved, resolved),
                     (thread, inc.slack_ts or "")])
    return note + _table("incidents", ["#", "state", "severity", "cause", "members",
                                       "opened (UTC)", "resolved (UTC)", "Slack"], rows)


def _alerts_table(data: ReportData) -> str:
    if not data.alerts:
        return f'<p class="empty">No alert fired or resolved in the period. {data.alerts_note}</p>'
    rows = []
    for e in data.alerts:
        ev = e.evidence
        evidence = (f"{ev.metric} {ev.value:.3g} (n={ev.sample_size})"
                    if ev and ev.value is not None else "")
        labels = ", ".join(f"{k}={v}" for k, v in e.labels)
        stamp = e.event_time.strftime("%Y-%m-%d %H:%M")
        rows.append([(stamp, stamp), (e.event_type, e.event_type), (escape(e.rule), e.rule),
                     (e.severity, e.severity), (escape(labels), labels),
                     (escape(evidence), str(ev.sample_size if ev else 0))])
    return _table("alerts", ["time (UTC)", "event", "rule", "severity", "labels", "evidence"],
                  rows)


def _shift_table(data: ReportData) -> str:
    rows = []
    for result in data.daily.results:
        for o in result.observations:
            if o.metric != "feature_shift":
                continue
            labels, context = dict(o.labels), dict(o.context)
            psi = "not judged" if o.value is None else f"{o.value:.3f}"
            rows.append([(escape(labels["system_id"]), labels["system_id"]),
                         (escape(labels["build_commit_sha"]), labels["build_commit_sha"]),
                         (escape(context["replaced_commit"]), context["replaced_commit"]),
                         (escape(labels["feature"]), labels["feature"]),
                         (psi, "-1" if o.value is None else f"{o.value:.6f}"),
                         (escape(context["sentinel_share"]), context["sentinel_share"]),
                         (escape(context["missing_share"]), context["missing_share"]),
                         (escape(context["mean"]), context["mean"]),
                         (str(o.sample_size), str(o.sample_size))])
    if not rows:
        return '<p class="empty">No commit new to a system in the period.</p>'
    return _table("feature-shift", ["system", "commit", "replaced", "feature", "PSI",
                                    "at sentinel", "missing", "mean", "n"], rows)


def render_html(data: ReportData, config: MonitorConfig, *,
                slack_url: str | None = None) -> str:
    """`slack_url`: the Slack workspace's URL (SLACK_WORKSPACE_URL), for links to the
    incidents' threads."""
    status_rows = [[(escape(r.name), r.name),
                    (f'<span class="status {r.status.value}">{r.status.value}</span>',
                     str(list(Status).index(r.status))),
                    (escape(r.summary), r.summary)] for r in data.daily.results]
    overall = data.daily.status.value
    return "".join([
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>prediction-monitor report {data.date}</title><style>{CSS}</style></head><body>",
        f"<h1>Prediction quality, {data.start} .. {data.date} "
        f'<span class="status {overall}">{overall}</span></h1>',
        f"<h2>Checks for {data.date}</h2>",
        _table("status", ["check", "status", "evidence"], status_rows),
        "<h2>Incidents</h2>", "<p>The alerts of one cause, paged about once: every "
        "incident open at some time in the period, the open ones first, with its "
        "members as they stand now.</p>", _incidents_table(data, slack_url),
        "<h2>Blocked commits</h2>", "<p>Commits no batch may be published from "
        "(<code>block-commit</code> or Slack), in force now: <code>check-batch</code>, "
        "<code>check-deployment</code> and the batch gate block every batch of them until "
        "<code>unblock-commit</code>.</p>", _commit_blocks_table(data),
        *(_system_section(h, data, config) for h in data.systems.values()),
        "<h2>What changed with each commit</h2>",
        "<p>Critical features on a new commit's first slates against the commit it "
        "replaced (population stability index over its deciles; under 0.1: no shift, "
        "over 0.25: a large one).</p>", _shift_table(data),
        "<h2>Failed, partial and blocked batches</h2>", _batches_table(data),
        "<h2>Blocked batches</h2>", "<p>Batches the batch gate kept from being published "
        "(status <code>blocked</code>), per commit, with the latest one's reasons.</p>",
        _blocked_table(data),
        "<h2>Alerts fired and resolved</h2>", _alerts_table(data),
        f"<script>{SORT_JS}</script></body></html>\n"])
