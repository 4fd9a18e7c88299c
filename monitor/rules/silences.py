"""The silences in force: those of alerts.yaml and those set from Slack, side by side
(`prediction-monitor silences`). Pure: config and folded state in, rows out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.config import MonitorConfig
from monitor.rules.state import AlertState


@dataclass(frozen=True)
class ActiveSilence:
    origin: str  # "alerts.yaml" | "slack"
    rule: str
    matchers: tuple[tuple[str, str], ...]  # label = value; an alert's own labels for Slack
    until: dt.datetime
    by: str | None  # the Slack user; None for alerts.yaml
    comment: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "rule": self.rule, "matchers": dict(self.matchers),
                "until": self.until.isoformat(), "by": self.by, "comment": self.comment}


def active_silences(config: MonitorConfig, states: Iterable[AlertState],
                    now: dt.datetime) -> list[ActiveSilence]:
    out = [ActiveSilence("alerts.yaml", rule.name, tuple(sorted(s.matchers.items())),
                         s.expires_at, None, s.comment)
           for rule in config.rules for s in rule.silences if now < s.expires_at]
    out += [ActiveSilence("slack", st.rule, st.labels, st.silenced_until, st.silenced_by)
            for st in states if st.silenced_until is not None and st.slack_silenced(now)]
    return sorted(out, key=lambda s: (s.until, s.rule, s.matchers))
