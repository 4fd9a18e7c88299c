"""The silences in force: those of alerts.yaml and those set from Slack — on one
alert, or on an incident (its current and future members) — side by side
(`prediction-monitor silences`). Pure: config and folded state in, rows out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.config import MonitorConfig
from monitor.rules.incidents import Incident
from monitor.rules.state import INCIDENT_RULE, AlertState


@dataclass(frozen=True)
class SilencedIncident:
    """The incident a Slack silence covers."""

    number: int
    key: str  # "commit:<sha>", or the rule's incident_by labels
    incident_id: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "key": self.key, "id": self.incident_id}


@dataclass(frozen=True)
class ActiveSilence:
    origin: str  # "alerts.yaml" | "slack"
    rule: str  # INCIDENT_RULE for an incident's silence
    matchers: tuple[tuple[str, str], ...]  # label = value; an alert's own labels for Slack
    until: dt.datetime
    by: str | None  # the Slack user; None for alerts.yaml
    comment: str = ""
    incident: SilencedIncident | None = None

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "rule": self.rule, "matchers": dict(self.matchers),
                "until": self.until.isoformat(), "by": self.by, "comment": self.comment,
                "incident": self.incident.to_json() if self.incident else None}


def active_silences(config: MonitorConfig, states: Iterable[AlertState],
                    now: dt.datetime, incidents: Iterable[Incident] = ()) -> (
        list[ActiveSilence]):
    out = [ActiveSilence("alerts.yaml", rule.name, tuple(sorted(s.matchers.items())),
                         s.expires_at, None, s.comment)
           for rule in config.rules for s in rule.silences if now < s.expires_at]
    out += [ActiveSilence("slack", st.rule, st.labels, st.silenced_until, st.silenced_by)
            for st in states if st.silenced_until is not None and st.slack_silenced(now)]
    # An incident's silence outlives its resolving: it covers a reopen too.
    out += [ActiveSilence("slack", INCIDENT_RULE, (("incident_key", inc.key),),
                          inc.silenced_until, inc.silenced_by,
                          incident=SilencedIncident(inc.number, inc.key, inc.incident_id))
            for inc in incidents if inc.silenced_until is not None and inc.silenced(now)]
    return sorted(out, key=lambda s: (s.until, s.rule, s.matchers))
