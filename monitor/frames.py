"""pandas DataFrames for notebooks: what the monitor sees, in the form analysts use.

    from monitor import frames
    wh = "duckdb:///data/demo.duckdb"          # or bigquery://PROJECT/DATASET
    obs = frames.observations(wh, "2026-01-09")
    obs[obs.metric == "mismatch_share"].sort_values("value", ascending=False)
    frames.query(wh, "predictions_by_code_version", start_date="2026-01-01", end_date="2026-01-14")

The only module that imports pandas (the CLI never loads it). Each function takes a
warehouse URL or an opened warehouse (left open). Columns come out typed the same on
every backend: dates and timestamps as datetime64 (timestamps in UTC), shares and
values as float64, counts as Int64, flags as boolean, text as string, every label
its own column.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, Literal

import pandas as pd

from monitor.app import app_for
from monitor.config import MonitorConfig, load_config
from monitor.model import as_date
from monitor.warehouse.base import ParamValue, Warehouse

DATE: Final = "datetime64[us]"
TIMESTAMP: Final = "datetime64[us, UTC]"
ObjectKind = Literal["boolean", "Int64", "float64", "string", "datetime64[us]",
                     "datetime64[us, UTC]"]
WarehouseLike = str | Warehouse
DateLike = str | dt.date


@contextmanager
def _opened(warehouse: WarehouseLike, config: MonitorConfig) -> Iterator[Warehouse]:
    if not isinstance(warehouse, str):
        yield warehouse
        return
    opened = app_for(config, warehouse).open_warehouse(read_only=True)
    try:
        yield opened
    finally:
        opened.close()


def _config(config: MonitorConfig | None) -> MonitorConfig:
    return config if config is not None else load_config(None)


def _day(value: DateLike) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _object_kind(values: pd.Series[Any]) -> ObjectKind | None:
    present = [v for v in values if v is not None and v is not pd.NA
               and not (isinstance(v, float) and v != v)]
    if not present:
        return None
    kinds = {type(v) for v in present}
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "Int64"
    if kinds <= {int, float, decimal.Decimal}:
        return "float64"
    if kinds <= {str}:
        return "string"
    if all(isinstance(v, dt.datetime) for v in present):
        return TIMESTAMP
    if all(isinstance(v, dt.date) for v in present):
        return DATE
    return None


def _typed_column(col: pd.Series[Any]) -> pd.Series[Any]:
    dtype = col.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        # Warehouse timestamps are UTC (DuckDB's TIMESTAMP has no zone); dates never
        # arrive as datetime64 (DuckDB: date objects, BigQuery: dbdate).
        return pd.to_datetime(col, utc=True).astype(TIMESTAMP)
    if str(dtype) == "dbdate":  # db-dtypes' DATE from BigQuery
        return pd.to_datetime(col.astype("string")).astype(DATE)
    if pd.api.types.is_bool_dtype(dtype):
        return col.astype("boolean")
    if pd.api.types.is_integer_dtype(dtype):
        return col.astype("Int64")
    if pd.api.types.is_float_dtype(dtype):
        return col.astype("float64")
    if isinstance(dtype, pd.StringDtype):
        return col.astype("string")
    kind = _object_kind(col)
    if kind is None:
        return col
    if kind == TIMESTAMP:
        return pd.to_datetime(col, utc=True).astype(TIMESTAMP)
    if kind == DATE:
        return pd.to_datetime(col).astype(DATE)
    if kind == "float64":
        return col.map(lambda v: float(v) if isinstance(v, int | float | decimal.Decimal)
                       else None).astype("float64")
    return col.astype(kind)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """One dtype per kind of value, whichever backend or client produced the frame."""
    return pd.DataFrame({name: _typed_column(frame[name]) for name in frame.columns},
                        index=pd.RangeIndex(len(frame)))


def _frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return typed(pd.DataFrame.from_records(list(rows), columns=list(columns)))


def query(warehouse: WarehouseLike, name: str, *, config: MonitorConfig | None = None,
          **params: Any) -> pd.DataFrame:
    """A shipped investigation query (queries/investigate/NAME.sql). Parameters may be
    given as text (as on the command line) or as values; each is typed by the query's
    header and travels as a query parameter."""
    from monitor.commands.query_command import parse_value
    from monitor.queries import declared_params, query_names

    known = [n.split("/", 1)[1] for n in query_names("investigate")]
    if name not in known:
        raise KeyError(f"unknown query {name!r}; known: {', '.join(known)}")
    declared = declared_params(f"investigate/{name}")
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise TypeError(f"{name} takes {', '.join(declared)}; not {', '.join(unknown)}")
    values: dict[str, ParamValue] = {}
    for key, kind in declared.items():
        given = params.get(key)
        if given is None and kind != "STRING":
            raise TypeError(f"{name}: missing parameter {key} ({kind})")
        # Text is parsed as `prediction-monitor query --param` parses it.
        values[key] = parse_value(kind, given or "") if given is None or isinstance(
            given, str) else given
    cfg = _config(config)
    with _opened(warehouse, cfg) as wh:
        return typed(wh.query_frame(f"investigate/{name}", values))


OBSERVATION_COLUMNS = ("check", "metric", "value", "sample_size", "interval_low",
                       "interval_high", "baseline", "not_judged")


def observations(warehouse: WarehouseLike, date: DateLike, *,
                 config: MonitorConfig | None = None) -> pd.DataFrame:
    """Every observation validate-daily makes for game date `date`: one row each, with
    n and its 95% interval, `not_judged` (why a test that could not run has no value),
    and each label (system_id, build_commit_sha, window, game_date...) as a column. A
    check without data contributes no rows; its status is in `frame.attrs["checks"]`."""
    from monitor.validate import validate_daily

    cfg = _config(config)
    with _opened(warehouse, cfg) as wh:
        report = validate_daily(wh, cfg, _day(date))
    labels = sorted({k for r in report.results for o in r.observations for k, _ in o.labels})
    rows = []
    for result in report.results:
        for o in result.observations:
            low, high = o.interval if o.interval else (None, None)
            rows.append({"check": o.check, "metric": o.metric,
                         "value": None if o.value is None else float(o.value),
                         "sample_size": o.sample_size, "interval_low": low,
                         "interval_high": high, "baseline": o.baseline,
                         # why a test could not run (value null), else None
                         "not_judged": dict(o.context).get("not_judged"),
                         **dict(o.labels)})
    frame = _frame(rows, [*OBSERVATION_COLUMNS, *labels])
    for column in ("value", "interval_low", "interval_high", "baseline"):
        frame[column] = frame[column].astype("float64")  # NULL-only columns stay floats
    frame["sample_size"] = frame["sample_size"].astype("Int64")
    frame["not_judged"] = frame["not_judged"].astype("string")
    if "game_date" in frame:
        frame["game_date"] = pd.to_datetime(frame["game_date"]).astype(DATE)
    frame.attrs["checks"] = {r.name: r.status.value for r in report.results}
    return frame


def _json_object(cell: Any) -> dict[str, Any]:
    """A JSON column's cell: NULL (None, or NaN in a text column) is no object."""
    if not isinstance(cell, str) or not cell:
        return {}
    value = json.loads(cell)
    return value if isinstance(value, dict) else {}


ALERT_EVENT_COLUMNS = ("event_time", "event_type", "rule", "severity", "fingerprint",
                       "run_id", "slack_ts", "slack_channel", "detail", "value",
                       "sample_size", "threshold", "reason", "incident_id", "incident_key")


def _since(since: DateLike | dt.datetime) -> dt.datetime:
    """A date is midnight UTC."""
    return since if isinstance(since, dt.datetime) else dt.datetime.combine(
        _day(since), dt.time(), tzinfo=dt.UTC)


def alert_events(warehouse: WarehouseLike, since: DateLike | dt.datetime, *,
                 until: dt.datetime | None = None,
                 config: MonitorConfig | None = None) -> pd.DataFrame:
    """The alert event log (`monitor_alert_events`) from `since` (a date is midnight
    UTC): one row per event, each alert label a column, the evidence's value, n,
    threshold and reason as columns of their own, and the incident the event belongs
    to (`incident_id`, `incident_key`; null before incidents, and on a warehouse older
    than migration 023)."""
    from monitor.rules.store import WarehouseAlertStore

    start, end = _since(since), until or dt.datetime.now(dt.UTC)
    cfg = _config(config)
    with _opened(warehouse, cfg) as wh:
        raw = wh.query_frame("alert_events_recent", {"since": start, "as_of": end})
        incidents = WarehouseAlertStore(wh).event_incidents(start, end) or {}
    records = raw.to_dict("records")
    label_sets = [_json_object(r["labels_json"]) for r in records]
    evidence = [_json_object(r["evidence_json"]) for r in records]
    # An incident's own events carry its key as a label: the column says it already.
    labels = sorted({k for ls in label_sets for k in ls} - set(ALERT_EVENT_COLUMNS))
    rows = []
    for record, ls, ev in zip(records, label_sets, evidence, strict=True):
        incident_id, incident_key = incidents.get(record["event_id"], (None, None))
        rows.append({**{k: record[k] for k in ALERT_EVENT_COLUMNS[:9]},
                     "value": ev.get("value"), "sample_size": ev.get("sample_size"),
                     "threshold": ev.get("threshold"), "reason": ev.get("reason"),
                     "incident_id": incident_id, "incident_key": incident_key,
                     **{k: ls.get(k) for k in labels}})
    frame = _frame(rows, [*ALERT_EVENT_COLUMNS, *labels])
    frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True).astype(TIMESTAMP)
    frame["value"] = frame["value"].astype("float64")
    frame["threshold"] = frame["threshold"].astype("float64")
    frame["sample_size"] = frame["sample_size"].astype("Int64")
    for column in ("event_type", "rule", "severity", "fingerprint", "run_id", "slack_ts",
                   "slack_channel", "detail", "reason", "incident_id", "incident_key",
                   *labels):
        frame[column] = frame[column].astype("string")
    return frame


INCIDENT_COLUMNS = ("incident_id", "number", "key", "commit", "severity", "open",
                    "opened_at", "resolved_at", "reopened_at", "members", "firing",
                    "inhibited", "rules", "slack_channel", "slack_ts", "posted_at",
                    "pages", "replies", "reminders", "updates", "acknowledged_by",
                    "acknowledged_at", "silenced_until", "silenced_by")
_INCIDENT_TIMES = ("opened_at", "resolved_at", "reopened_at", "posted_at", "acknowledged_at",
                   "silenced_until")
_INCIDENT_COUNTS = ("number", "members", "firing", "inhibited", "pages", "replies",
                    "reminders", "updates")


def incidents(warehouse: WarehouseLike, since: DateLike | dt.datetime, *,
              until: dt.datetime | None = None,
              config: MonitorConfig | None = None) -> pd.DataFrame:
    """Every incident open at some time from `since` (a date is midnight UTC) to
    `until` (default now), as the cycle folds them from the alert event log: one row
    each, in the order they opened, with its members' counts (firing, inhibited), its
    rules, its Slack thread, the messages it was sent and who acknowledged or
    silenced it. An incident that began before `since` is read whole."""
    from monitor.backtest import messages_by_incident
    from monitor.rules.incidents import MemberStatus, fold_incidents
    from monitor.rules.store import WarehouseAlertStore

    start, end = _since(since), until or dt.datetime.now(dt.UTC)
    cfg = _config(config)
    with _opened(warehouse, cfg) as wh:
        events = WarehouseAlertStore(wh).incident_history(start, end)
    sent = messages_by_incident(events)
    rows = []
    for inc in sorted(fold_incidents(events).values(),
                      key=lambda i: (i.opened_at, i.number, i.incident_id)):
        status = [m.status for m in inc.members.values()]
        counts = sent.get(inc.incident_id, {})
        rows.append({
            "incident_id": inc.incident_id, "number": inc.number, "key": inc.key,
            "commit": inc.key.removeprefix("commit:") if inc.key.startswith("commit:")
            else None,
            "severity": inc.severity, "open": inc.open, "opened_at": inc.opened_at,
            "resolved_at": inc.resolved_at, "reopened_at": inc.reopened_at,
            "members": len(status), "firing": status.count(MemberStatus.FIRING),
            "inhibited": status.count(MemberStatus.INHIBITED),
            "rules": ",".join(sorted({m.rule for m in inc.members.values()})),
            "slack_channel": inc.slack_channel, "slack_ts": inc.slack_ts,
            "posted_at": inc.posted_at, "pages": counts.get("post", 0),
            "replies": counts.get("reply", 0) + counts.get("reminder", 0),
            "reminders": counts.get("reminder", 0), "updates": counts.get("update", 0),
            "acknowledged_by": inc.acknowledged_by, "acknowledged_at": inc.acknowledged_at,
            "silenced_until": inc.silenced_until, "silenced_by": inc.silenced_by})
    frame = _frame(rows, INCIDENT_COLUMNS)
    for column in _INCIDENT_TIMES:
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(TIMESTAMP)
    for column in _INCIDENT_COUNTS:
        frame[column] = frame[column].astype("Int64")
    frame["open"] = frame["open"].astype("boolean")
    for column in set(INCIDENT_COLUMNS) - {*_INCIDENT_TIMES, *_INCIDENT_COUNTS, "open"}:
        frame[column] = frame[column].astype("string")
    return frame


BACKTEST_COLUMNS = ("time", "event", "rule", "severity", "metric", "value", "sample_size",
                    "threshold", "reason", "first_date", "incident_id", "inhibited_by")


def backtest(warehouse: WarehouseLike, start: DateLike, end: DateLike, *,
             schedule: str | None = None,
             config: MonitorConfig | None = None) -> pd.DataFrame:
    """`prediction-monitor backtest` as a frame: every alert that would have fired,
    repeated, resolved or been inhibited (with its incident and, inhibited, the rule
    inhibiting it) over game dates start..end (US/Eastern), replaying the
    configured schedule (or `schedule`: a cron line, or `events` for a cycle one second
    after each batch ended besides the configured ones)."""
    from monitor.backtest import backtest as replay
    from monitor.backtest import replay_times

    cfg = _config(config)
    with _opened(warehouse, cfg) as wh:
        times, _ = replay_times(wh, _day(start), _day(end), schedule, cfg)
        runs, _ = replay(wh, {"default": cfg}, times)
    alerts = runs["default"].alerts
    labels = sorted({k for a in alerts for k, _ in a.labels})
    rows = []
    for a in alerts:
        ev = a.evidence
        rows.append({"time": a.time, "event": a.event, "rule": a.rule, "severity": a.severity,
                     "metric": ev.metric if ev else None, "value": ev.value if ev else None,
                     "sample_size": ev.sample_size if ev else None,
                     "threshold": ev.threshold if ev else None,
                     "reason": ev.reason if ev else None,
                     "first_date": as_date(min(ev.dates)) if ev and ev.dates else None,
                     "incident_id": a.incident_id, "inhibited_by": a.inhibited_by,
                     **dict(a.labels)})
    frame = _frame(rows, [*BACKTEST_COLUMNS, *labels])
    frame["time"] = pd.to_datetime(frame["time"], utc=True).astype(TIMESTAMP)
    frame["first_date"] = pd.to_datetime(frame["first_date"]).astype(DATE)
    frame["value"] = frame["value"].astype("float64")
    frame["threshold"] = frame["threshold"].astype("float64")
    frame["sample_size"] = frame["sample_size"].astype("Int64")
    for column in ("event", "rule", "severity", "metric", "reason", "incident_id",
                   "inhibited_by", *labels):
        frame[column] = frame[column].astype("string")
    return frame


__all__ = ["alert_events", "backtest", "incidents", "observations", "query", "typed"]
