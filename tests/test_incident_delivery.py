"""An incident's life through the delivery stages and the real slack-sdk against the
Slack fake, with the shipped rules and inhibit_rules: a warning incident posted once;
a critical joining raises it (a reply also broadcast to the channel, and the
top-level message updated); a cause joining turns an outcome alert into a symptom; the
cause resolving gives the symptom back; each cycle's changes are one reply."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from monitor.config import MonitorConfig, Rule, load_config
from monitor.cycle import decide_alerts
from monitor.delivery import deliver, plan
from monitor.notify.slack import SlackNotifier
from monitor.rules.lock import NoLock
from monitor.rules.state import Candidate, Evidence
from monitor.rules.store import MemoryAlertStore
from monitor.secrets import Secret
from monitor.warehouse.base import Params, Record
from tests.fakes.slack_server import TOKEN, FakeSlack

T = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
LABELS = (("build_commit_sha", "c0ffee12"), ("system_id", "catboost_v8"))
EV = Evidence("m", 0.9, 120, (0.8, 0.95), None, 0.5, "lower bound 80.0% > 50.0%")


class NoCharts:
    """A warehouse that has nothing to chart: every query answers no rows."""

    def query(self, name: str, params: Params, *,
              labels: Mapping[str, str] | None = None) -> list[Record]:
        return []


class Cycles:
    """The cycle's alert and incident step (monitor.cycle.decide_alerts) on given
    candidates, then delivery."""

    def __init__(self, config: MonitorConfig, slack: FakeSlack) -> None:
        self.config = config
        self.rules: dict[str, Rule] = {r.name: r for r in config.rules}
        self.store = MemoryAlertStore()
        self.slack = slack

    def run(self, now: dt.datetime, firing: dict[str, bool]) -> None:
        run_id = f"r{now:%H}"
        candidates = [Candidate(r, self.rules[r].severity, LABELS, on, EV if on else None)
                      for r, on in firing.items()]
        step = decide_alerts(self.store.load(now), candidates, self.rules, set(firing),
                             self.config, now=now, run_id=run_id, threads=True)
        self.store.append(step.events)
        notifier = SlackNotifier.from_token(Secret(TOKEN), "#alerts", self.slack.base_url)
        messages = plan(step.ops, step.states, self.rules, threads=True, provenance={},
                        now=now)
        deliver(messages, notifier=notifier, store=self.store, lock=NoLock(),
                warehouse=NoCharts(), config=self.config, rules=self.rules, as_of=now,
                run_id=run_id)


@pytest.fixture
def cycles(slack: FakeSlack) -> Iterator[Cycles]:
    yield Cycles(load_config(), slack)


def posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [args for args, _ in slack.posted]


def test_one_incident_from_warning_to_critical_to_symptom_and_back(
        cycles: Cycles, slack: FakeSlack) -> None:
    missing, below, ppm = "critical_features_missing", "hit_rate_below_55", "ppm_default_filled"
    cycles.run(T, {missing: True})
    (post,) = posts(slack)
    assert str(post["text"]).startswith("WARNING #1: commit c0ffee12 (open)")
    assert not post.get("thread_ts")
    thread = slack.posted[0][1]

    # A critical joins: one reply, also shown in the channel; the message says CRITICAL.
    cycles.run(T + H, {missing: True, below: True})
    reply = posts(slack)[-1]
    assert reply["thread_ts"] == thread and reply.get("reply_broadcast") is True
    assert str(reply["text"]) == "CRITICAL now: #1 commit c0ffee12"
    assert "hit_rate_below_55 (system catboost_v8) joined" in json.dumps(reply["blocks"])
    assert slack.updated[-1]["ts"] == thread
    assert slack.updated[-1]["blocks"][0]["text"]["text"] == "CRITICAL #1: commit c0ffee12 (open)"

    # The cause joins: the outcome alert becomes its symptom; both in one reply.
    cycles.run(T + 2 * H, {missing: True, below: True, ppm: True})
    reply = posts(slack)[-1]
    said = json.dumps(reply["blocks"])
    assert reply["thread_ts"] == thread and not reply.get("reply_broadcast")
    assert "ppm_default_filled (system catboost_v8) joined" in said
    assert "hit_rate_below_55 (system catboost_v8) is now a symptom" in said
    assert "a symptom of ppm_default_filled" in json.dumps(slack.updated[-1]["blocks"])

    # Nothing changes: nothing is sent.
    sent = len(slack.posted), len(slack.updated)
    cycles.run(T + 3 * H, {missing: True, below: True, ppm: True})
    assert (len(slack.posted), len(slack.updated)) == sent

    # The cause resolves (after_runs: 2): its symptom is given back, in the thread.
    cycles.run(T + 4 * H, {missing: True, below: True, ppm: False})
    cycles.run(T + 5 * H, {missing: True, below: True, ppm: False})
    said = json.dumps(posts(slack)[-1]["blocks"])
    assert "ppm_default_filled (system catboost_v8) resolved" in said
    assert "hit_rate_below_55 (system catboost_v8) is no longer inhibited" in said
    # One top-level message in all.
    assert [p for p in posts(slack) if not p.get("thread_ts")] == [post]
