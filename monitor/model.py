"""Plain data passed between checks, rules and reports. No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

# The data contract's game dates are US/Eastern calendar days: one zone for every
# date the monitor derives (a slate's date, a deadline, the demo's tip-offs).
EASTERN = ZoneInfo("America/New_York")


def eastern_date(moment: dt.datetime) -> dt.date:
    """Game dates are US/Eastern calendar dates."""
    return moment.astimezone(EASTERN).date()


# How loud a rule's alert is (alerts.yaml `severity`; alert state and messages carry it).
Severity = Literal["warning", "critical"]
# A rule's verdict on one observation (monitor/rules/evaluate.py).
FindingState = Literal["firing", "clear", "insufficient", "no-value"]


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    NO_DATA = "no-data"
    ERROR = "error"
    # validate-daily on a date the calendar has no game for: nothing was expected.
    NO_GAMES = "no-games"


Labels = tuple[tuple[str, str], ...]


def as_date(value: Any) -> dt.date:
    """A DATE cell as a date, whichever type the warehouse client returned."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_utc(value: Any) -> dt.datetime:
    """A TIMESTAMP cell as an aware UTC datetime, whichever type the client returned."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def commit_label(value: Any) -> str:
    """NULL, empty and 'unknown' commits are one group, as in every query."""
    text = "" if value is None else str(value)
    return "unknown" if text in ("", "unknown") else text


def json_value(value: Any) -> Any:
    """A cell as JSON takes it: a timestamp as UTC ISO text, a date as YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def iso(value: Any) -> str:
    """A TIMESTAMP cell as ISO text ('' for NULL)."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def make_labels(**values: object) -> Labels:
    return tuple(sorted((k, "" if v is None else str(v)) for k, v in values.items()))


@dataclass(frozen=True)
class Observation:
    """One measured number with the evidence needed to judge it."""

    check: str
    metric: str
    labels: Labels
    value: float | None
    sample_size: int
    interval: tuple[float, float] | None = None
    baseline: float | None = None
    # Facts about the group that help a reader find the cause (first prediction
    # time, deployment revision, feature source mode...). Never used to decide.
    context: tuple[tuple[str, str], ...] = ()

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "labels": dict(self.labels),
            "value": self.value,
            "sample_size": self.sample_size,
            "interval": list(self.interval) if self.interval else None,
            "baseline": self.baseline,
            "context": dict(self.context),
        }


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one observation."""

    rule: str
    severity: Severity
    observation: Observation
    state: FindingState
    threshold: float
    reason: str
    runbook_url: str | None = None


@dataclass
class CheckResult:
    name: str
    status: Status
    summary: str
    observations: list[Observation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "summary": self.summary,
            "observations": [o.to_json() for o in self.observations],
        }
