"""Acting on an incident's page: the buttons of an incident's message through the
signed interactions endpoint of `serve`'s routes, the real slack-sdk against the Slack
fake, the incident and its alerts written by hand into a DuckDB warehouse with the
monitor's schema. Acknowledge, Silence 24 h and Unsilence are the incident's own
events with the Slack user as actor; Block this commit and Unblock are commit blocks
that check-batch, check-deployment and the gate then enforce. Messages of the previous
release (buttons valued with alert fingerprints) still act on their alerts."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from monitor.cli import main
from monitor.config import IncidentSettings, MonitorConfig, SlackApp
from monitor.gate import blocked_commits
from monitor.migrations import ensure_schema
from monitor.notify.formats.block_kit import block_kit
from monitor.notify.incident_message import incident_actions, incident_body
from monitor.rules.blocks import block_event
from monitor.rules.incidents import (
    Incident,
    fold_incidents,
    incident_event,
    plan_incident_ops,
)
from monitor.rules.state import AlertEvent, fold, make_event
from monitor.rules.store import WarehouseAlertStore
from monitor.slack_app import Press, decide
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.contract import ContractDB
from tests.fakes.slack_server import FakeSlack
from tests.processes import ROOT
from tests.slack_presses import Served, press_payload, served_for
from tests.slates import warehouse_with_a_batch

H = dt.timedelta(hours=1)
# Near the clock: `silences`, `blocks` and check-batch judge at the time they run.
OPENED = dt.datetime.now(dt.UTC).replace(microsecond=0) - 3 * H
SHA = "0b5e11ad7c3f9e2a4d6b8c0e1f2a3b4c5d6e7f80"
KEY = f"commit:{SHA}"
INC = "9a0c7e52-5d1e-5b55-9d6c-3f1f6c0f2a11"
OTHER = "3c1d9f04-7a2b-5e8f-8c4d-2b6a0e9f1d22"  # keyed by a system, not a commit
TS = "1765000000.000100"
OTHER_TS = "1765000000.000200"
CHANNEL = "C0ALERTS"
LABELS = (("build_commit_sha", SHA), ("system_id", "catboost_v8"))
EVIDENT = ("acknowledged", "silence", "unsilence", "blocked", "unblocked")


def history() -> list[AlertEvent]:
    """Incident #1 on commit SHA (two alerts, posted as one message) and incident #2 on
    a system's freshness, both open."""
    events: list[AlertEvent] = [
        incident_event(OPENED, "r1", "opened", INC, KEY, "critical", detail="1")]
    for rule in ("vegas_line_feature_mismatch", "ppm_default_filled"):
        fired = make_event(OPENED, "r1", "fired", rule, "critical", LABELS)
        events.append(replace(fired, incident_id=INC, incident_key=KEY))
    events.append(incident_event(OPENED, "r1", "notified", INC, KEY, "critical",
                                 detail="post", slack_ts=TS, slack_channel=CHANNEL))
    other = "system_id=catboost_v8"
    events += [incident_event(OPENED, "r1", "opened", OTHER, other, "warning", detail="2"),
               replace(make_event(OPENED, "r1", "fired", "prediction_freshness", "warning",
                                  (("system_id", "catboost_v8"),)),
                       incident_id=OTHER, incident_key=other),
               incident_event(OPENED, "r1", "notified", OTHER, other, "warning",
                              detail="post", slack_ts=OTHER_TS, slack_channel=CHANNEL)]
    return events


def store_history(db: ContractDB, events: Sequence[AlertEvent]) -> None:
    ensure_schema(db.wh, migrate=True)
    WarehouseAlertStore(db.wh).append(events)
    db.close()


def loaded(db: ContractDB, at: dt.datetime) -> list[AlertEvent]:
    wh = DuckDBWarehouse(db.path, "nba_predictions", read_only=True)
    try:
        return WarehouseAlertStore(wh).load(at)
    finally:
        wh.close()


def acted(db: ContractDB, at: dt.datetime) -> list[tuple[str, str, str, str | None,
                                                       str | None]]:
    """(event_type, rule, fingerprint, actor, detail) of what people did, in order."""
    return [(e.event_type, e.rule, e.fingerprint, e.actor, e.detail)
            for e in loaded(db, at) if e.event_type in EVIDENT]


def message(config: MonitorConfig, events: Sequence[AlertEvent], incident_id: str, *,
            blocked: bool = False) -> dict[str, Any]:
    """The incident's top-level message as posted (Block Kit payload)."""
    inc = fold_incidents(events)[incident_id]
    body = incident_body(inc, fold(events), {r.name: r for r in config.rules},
                         blocked=blocked)
    return block_kit(body).payload()


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def said(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


@pytest.fixture
def paged(db: ContractDB) -> list[AlertEvent]:
    events = history()
    store_history(db, events)
    return events


@pytest.fixture
def served(db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig,
           paged: list[AlertEvent]) -> Iterator[Served]:
    s = served_for(db, slack_bot, config)
    s.now = OPENED + H
    yield s
    s.close()


# --- the message ---------------------------------------------------------------------

def test_a_commits_incident_offers_block_with_a_confirmation_others_do_not(
        config: MonitorConfig) -> None:
    events = history()
    post = message(config, events, INC)
    assert buttons(post["blocks"]) == ["acknowledge", "silence_24h", "block_commit"]
    block = next(e for b in post["blocks"] if b["type"] == "actions"
                 for e in b["elements"] if e["action_id"] == "block_commit")
    assert block["value"] == f"incident:{INC}" and block["style"] == "danger"
    assert block["text"] == {"type": "plain_text", "text": "Block this commit"}
    assert block["confirm"] == {
        "title": {"type": "plain_text", "text": "Block this commit?"},
        "text": {"type": "plain_text",
                 "text": f"Block commit {SHA}? check-batch, check-deployment and the gate "
                         "will refuse every batch of it until someone unblocks it."},
        "confirm": {"type": "plain_text", "text": "Block"},
        "deny": {"type": "plain_text", "text": "Cancel"},
        "style": "danger"}
    blocked = message(config, events, INC, blocked=True)
    assert buttons(blocked["blocks"]) == ["acknowledge", "silence_24h", "unblock_commit"]
    assert all("confirm" not in e for b in blocked["blocks"] if b["type"] == "actions"
               for e in b["elements"])
    assert buttons(message(config, events, OTHER)["blocks"]) == ["acknowledge", "silence_24h"]
    # A resolved incident has no buttons.
    done = fold_incidents([*events, incident_event(OPENED + H, "r2", "resolved", INC, KEY,
                                                   "critical")])[INC]
    assert incident_actions(done) == ()


# --- acknowledge, silence, unsilence ---------------------------------------------------

def test_acknowledge_silence_unsilence_are_the_incidents_own_events_with_the_actor(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig, served: Served,
        capsys: pytest.CaptureFixture[str]) -> None:
    post = message(config, history(), INC)
    assert served.press("acknowledge", post, TS, slack_bot, user="U024BE7LH")[0] == 200
    update, = slack_bot.wait_for_updates(1)
    assert (update["channel"], update["ts"]) == (CHANNEL, TS)
    assert "Acknowledged by <@U024BE7LH> at" in said(update["blocks"])
    assert buttons(update["blocks"]) == ["silence_24h", "block_commit"]
    assert acted(db, served.now) == [("acknowledged", "incident", INC, "U024BE7LH", None)]
    inc = fold_incidents(loaded(db, served.now))[INC]
    assert (inc.acknowledged_by, inc.acknowledged_at) == ("U024BE7LH", served.now)
    # The alerts themselves are not acknowledged one by one: the incident is.
    assert all(st.acknowledged_by is None for st in fold(loaded(db, served.now)).values())
    ack = next(e for e in loaded(db, served.now) if e.event_type == "acknowledged")
    assert (ack.incident_id, ack.incident_key) == (INC, KEY)
    assert ack.run_id.startswith("slack:U024BE7LH|")

    # Pressed again: nothing to do, said privately, nothing recorded.
    served.now += dt.timedelta(minutes=1)
    assert served.press("acknowledge", post, TS, slack_bot)[0] == 200
    _, answer = slack_bot.wait_for_responses(1)[0]
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Nothing to do: incident #1 is already acknowledged")
    assert len(acted(db, served.now)) == 1 and len(slack_bot.updated) == 1

    served.now += dt.timedelta(minutes=1)
    until = served.now + 24 * H
    assert served.press("silence_24h", update, TS, slack_bot, user="U0SECOND")[0] == 200
    update = slack_bot.wait_for_updates(2)[-1]
    assert "Silenced by <@U0SECOND>" in said(update["blocks"])
    assert f"until {until:%Y-%m-%d %H:%M} UTC" in said(update["blocks"])
    assert buttons(update["blocks"]) == ["unsilence", "block_commit"]
    assert acted(db, served.now)[-1] == ("silence", "incident", INC, "U0SECOND",
                                         until.isoformat())
    assert fold_incidents(loaded(db, served.now))[INC].silenced_until == until

    # `silences` lists it with its incident; text and JSON.
    capsys.readouterr()
    args = ["silences", "--warehouse", db.url, "--config", str(ROOT / "alerts.yaml")]
    assert main([*args, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["silences"]
    mine = [s for s in listed if s["incident"] is not None]
    assert mine == [{"origin": "slack", "rule": "incident", "matchers": {"incident_key": KEY},
                     "until": until.isoformat(), "by": "U0SECOND", "comment": "",
                     "incident": {"number": 1, "key": KEY, "id": INC}}]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"incident #1 {KEY} until {until:%Y-%m-%d %H:%M} UTC (Slack, by U0SECOND)" in text

    served.now += dt.timedelta(minutes=1)
    assert served.press("unsilence", update, TS, slack_bot, user="U0THIRD")[0] == 200
    update = slack_bot.wait_for_updates(3)[-1]
    assert "Unsilenced by <@U0THIRD>" in said(update["blocks"])
    assert buttons(update["blocks"]) == ["acknowledge", "silence_24h", "block_commit"]
    assert acted(db, served.now)[-1] == ("unsilence", "incident", INC, "U0THIRD", None)
    assert fold_incidents(loaded(db, served.now))[INC].silenced_until is None
    assert main([*args, "--format", "json"]) == 0
    assert all(s["incident"] is None
               for s in json.loads(capsys.readouterr().out)["silences"])


def test_resolved_or_unknown_incidents_have_nothing_to_do(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig) -> None:
    events = [*history(), incident_event(OPENED + H, "r2", "resolved", INC, KEY, "critical")]
    store_history(db, events)
    served = served_for(db, slack_bot, config)
    served.now = OPENED + 2 * H
    try:
        post = message(config, history(), INC)  # as it was while open
        unknown = json.loads(json.dumps(post).replace(INC, "not-an-incident"))
        for n, (button, msg) in enumerate((("acknowledge", post), ("silence_24h", unknown),
                                           ("block_commit", post))):
            served.now += dt.timedelta(seconds=1)
            assert served.press(button, msg, TS, slack_bot)[0] == 200
            _, answer = slack_bot.wait_for_responses(n + 1)[-1]
            assert answer["text"].startswith("Nothing to do: this incident is resolved")
    finally:
        served.close()
    assert acted(db, served.now) == [] and slack_bot.updated == []


def test_an_incident_not_about_a_commit_cannot_be_blocked(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig, served: Served) -> None:
    post = message(config, history(), OTHER)
    # A crafted press: the message has no such button.
    assert served.press("block_commit", post, OTHER_TS, slack_bot)[0] == 200
    _, answer = slack_bot.wait_for_responses(1)[0]
    assert answer["text"] == "Nothing to do: incident #2 is not about one commit."
    assert served.press("acknowledge", post, OTHER_TS, slack_bot, user="U0SECOND")[0] == 200
    update, = slack_bot.wait_for_updates(1)
    assert buttons(update["blocks"]) == ["silence_24h"]
    assert acted(db, served.now) == [("acknowledged", "incident", OTHER, "U0SECOND", None)]


# --- block and unblock the commit ------------------------------------------------------

def test_block_from_the_page_is_enforced_by_the_gate_until_unblocked(
        tmp_path: Path, slack_bot: FakeSlack, config: MonitorConfig,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = warehouse_with_a_batch(tmp_path / "w.duckdb", commit=SHA)
    store_history(db, history())
    url = ("--warehouse", db.url)
    check = ("check-batch", *url, "--execution-id", "exec-good")
    assert main(list(check)) == 0
    served = served_for(db, slack_bot, config)
    served.now = OPENED + H
    post = message(config, history(), INC)
    try:
        assert served.press("block_commit", post, TS, slack_bot, user="U0ONCALL")[0] == 200
        update, = slack_bot.wait_for_updates(1)
        text = said(update["blocks"])
        assert f"Blocked by <@U0ONCALL> at {served.now:%Y-%m-%d %H:%M} UTC" in text
        assert f"commit `{SHA}`" in text
        assert buttons(update["blocks"]) == ["acknowledge", "silence_24h", "unblock_commit"]
        of_commit = block_event(served.now, "any", SHA, actor="any", reason="any").fingerprint
        assert acted(db, served.now) == [("blocked", "commit_block", of_commit, "U0ONCALL",
                                          "blocked from Slack, incident #1")]

        capsys.readouterr()
        assert main(list(check)) == 1
        out = capsys.readouterr().out
        assert out.startswith("BLOCK: ")
        assert (f"commit {SHA} is blocked by U0ONCALL since {served.now:%Y-%m-%d %H:%M} UTC: "
                "blocked from Slack, incident #1") in out
        assert main(["check-deployment", *url, "--expected-sha", SHA[:8]]) == 1
        assert "blocked by U0ONCALL" in capsys.readouterr().out
        assert main(["blocks", *url, "--format", "json"]) == 0
        listed, = json.loads(capsys.readouterr().out)["blocks"]
        assert (listed["commit"], listed["blocked_by"], listed["reason"]) == (
            SHA, "U0ONCALL", "blocked from Slack, incident #1")
        assert set(blocked_commits(db.url)) == {SHA}

        # Blocked already: a second press (another time) changes nothing.
        served.now += dt.timedelta(minutes=1)
        assert served.press("block_commit", post, TS, slack_bot, user="U0SECOND")[0] == 200
        _, answer = slack_bot.wait_for_responses(1)[0]
        assert answer["text"].startswith(f"Nothing to do: commit `{SHA}` is already blocked, "
                                         "by U0ONCALL since ")
        assert len(acted(db, served.now)) == 1

        # Acknowledged while blocked: the Unblock button stays.
        served.now += dt.timedelta(minutes=1)
        assert served.press("acknowledge", update, TS, slack_bot, user="U0SECOND")[0] == 200
        update = slack_bot.wait_for_updates(2)[-1]
        assert buttons(update["blocks"]) == ["silence_24h", "unblock_commit"]
        assert "Blocked by <@U0ONCALL>" in said(update["blocks"])  # both notes shown
        assert "Acknowledged by <@U0SECOND>" in said(update["blocks"])

        served.now += dt.timedelta(minutes=1)
        assert served.press("unblock_commit", update, TS, slack_bot, user="U0THIRD")[0] == 200
        update = slack_bot.wait_for_updates(3)[-1]
        text = said(update["blocks"])
        assert "Unblocked by <@U0THIRD>" in text and "Blocked by" not in text
        assert buttons(update["blocks"]) == ["silence_24h", "block_commit"]
        assert next(e for b in update["blocks"] if b["type"] == "actions"
                    for e in b["elements"] if e["action_id"] == "block_commit")["confirm"]
        assert [a[0::3] for a in acted(db, served.now)] == [
            ("blocked", "U0ONCALL"), ("acknowledged", "U0SECOND"), ("unblocked", "U0THIRD")]
    finally:
        served.close()
    capsys.readouterr()
    assert main(list(check)) == 0
    assert main(["blocks", *url]) == 0
    assert capsys.readouterr().out.endswith("no blocked commit\n")
    assert blocked_commits(db.url) == {}


def test_unblock_lifts_a_block_made_on_the_command_line_with_an_abbreviation(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig, served: Served,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = ("--warehouse", db.url)
    assert main(["block-commit", SHA[:10], "--reason", "INC-7", "--by", "alice", *url]) == 0
    post = message(config, history(), INC, blocked=True)
    served.now = dt.datetime.now(dt.UTC)
    assert served.press("unblock_commit", post, TS, slack_bot, user="U0ONCALL")[0] == 200
    slack_bot.wait_for_updates(1)
    capsys.readouterr()
    assert main(["blocks", *url]) == 0
    assert capsys.readouterr().out == "no blocked commit\n"


def test_users_not_allowed_cannot_block_or_acknowledge_and_nothing_is_recorded(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig,
        paged: list[AlertEvent]) -> None:
    restricted = config.model_copy(update={"slack_app": SlackApp(allowed_users=["UBOSS"])})
    served = served_for(db, slack_bot, restricted)
    served.now = OPENED + H
    post = message(config, history(), INC)
    try:
        for n, button in enumerate(("block_commit", "acknowledge", "silence_24h"), 1):
            assert served.press(button, post, TS, slack_bot, user="U1")[0] == 200
            _, answer = slack_bot.wait_for_responses(n)[-1]
            assert answer["response_type"] == "ephemeral" and "not allowed" in answer["text"]
        assert acted(db, served.now) == [] and slack_bot.updated == []
        assert served.press("block_commit", post, TS, slack_bot, user="UBOSS")[0] == 200
        slack_bot.wait_for_updates(1)
    finally:
        served.close()
    assert [a[0::3] for a in acted(db, served.now)] == [("blocked", "UBOSS")]


@pytest.mark.parametrize("button", ["block_commit", "acknowledge", "silence_24h"])
def test_a_replayed_press_on_an_incident_records_once(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig, served: Served,
        button: str) -> None:
    post = message(config, history(), INC)
    body = urlencode({"payload": json.dumps(
        press_payload(button, post, TS, slack_bot, "U0ONCALL", served.now))}).encode()
    assert served.post("/slack/interactions", body)[0] == 200
    slack_bot.wait_for_updates(1)
    served.now += dt.timedelta(minutes=2)
    age = dt.timedelta(minutes=2)
    assert served.post("/slack/interactions", body, age=age)[0] == 200
    replays = [threading.Thread(target=served.post, args=("/slack/interactions", body),
                                kwargs={"age": age}) for _ in range(2)]
    for t in replays:
        t.start()
    for t in replays:
        t.join(60)
    assert len(acted(db, served.now)) == 1 and len(slack_bot.updated) == 1


# --- messages of the previous release ---------------------------------------------------

def previous_release_post(rule: str, *fingerprints: str) -> dict[str, Any]:
    """A message as the previous release posted it, one per rule: its buttons act on
    the fingerprints of the alerts it lists, comma-separated."""
    value = ",".join(fingerprints)
    return {"text": f"CRITICAL: {rule} firing: build_commit_sha={SHA}, system_id=catboost_v8",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text",
                                            "text": f"CRITICAL: {rule} firing"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": (
                    f"*commit* `{SHA}` · *system* `catboost_v8`\nmismatch_share *86.4%* "
                    "(n=162, 95% CI 80.3%–90.9%); rule: above 5.0%")}},
                {"type": "actions", "block_id": "alert_actions", "elements": [
                    {"type": "button", "action_id": "acknowledge", "value": value,
                     "text": {"type": "plain_text", "text": "Acknowledge"},
                     "style": "primary"},
                    {"type": "button", "action_id": "silence_24h", "value": value,
                     "text": {"type": "plain_text", "text": "Silence 24 h"}}]}]}


def test_buttons_valued_with_fingerprints_still_act_on_their_alerts(
        db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig) -> None:
    rule = next(r for r in config.rules if r.name == "vegas_line_feature_mismatch")
    # One message listed both systems' alerts: its buttons name both.
    both = (LABELS, (LABELS[0], ("system_id", "ensemble_v1")))
    history = [make_event(OPENED, "r1", kind, rule.name, "critical", lbl,
                          detail="firing" if kind == "notified" else None,
                          slack_ts=TS if kind == "notified" else None,
                          slack_channel=CHANNEL if kind == "notified" else None)
               for lbl in both for kind in ("fired", "notified")]
    store_history(db, history)
    fingerprints = sorted({e.fingerprint for e in history})
    post = previous_release_post(rule.name, *fingerprints)
    served = served_for(db, slack_bot, config)
    served.now = OPENED + H
    try:
        assert served.press("acknowledge", post, TS, slack_bot, user="U0OLD")[0] == 200
        update, = slack_bot.wait_for_updates(1)
        # A crafted commit button on such a message: it names no incident.
        served.now += dt.timedelta(minutes=1)
        assert served.press("block_commit", post, TS, slack_bot, user="U0OLD")[0] == 200
        _, answer = slack_bot.wait_for_responses(1)[0]
    finally:
        served.close()
    assert "Acknowledged by <@U0OLD>" in said(update["blocks"])
    assert buttons(update["blocks"]) == ["silence_24h"]
    assert sorted(acted(db, served.now)) == [("acknowledged", rule.name, fp, "U0OLD", None)
                                             for fp in fingerprints]
    assert answer["text"].startswith("Nothing to do: these alerts")


# --- what the events do: the fold and the plan -----------------------------------------

def _press(action_id: str, at: dt.datetime, user: str = "U0ONCALL") -> Press:
    return Press(user, action_id, f"incident:{INC}", f"{at.timestamp():.6f}", TS, CHANNEL,
                 "", "incident", [])


def _decided(events: list[AlertEvent], kind: Any, at: dt.datetime) -> list[AlertEvent]:
    inc = fold_incidents(events)[INC]
    decision = decide(inc, kind, _press("x", at), now=at, run_id=f"slack:{at}", blocks={})
    assert decision.events, decision.nothing
    return decision.events


def _ops(events: list[AlertEvent], at: dt.datetime) -> list[tuple[str, str]]:
    incidents: dict[str, Incident] = fold_incidents(events)
    plan = plan_incident_ops(incidents, fold(events), now=at, settings=IncidentSettings(),
                             threads=True)
    return [(op.kind, op.incident.incident_id) for op in plan if op.incident.incident_id == INC]


def test_acknowledged_stops_reminders_until_the_severity_rises() -> None:
    events = [e for e in history() if e.incident_id == INC]
    day = OPENED + 25 * H
    assert _ops(events, day) == [("reminder", INC)]
    events += _decided(events, "acknowledged", OPENED + H)
    assert _ops(events, day) == []
    assert _ops(events, OPENED + 100 * H) == []
    # Its severity rises: the acknowledgement ends, reminders come back after the reply.
    events.append(incident_event(day, "r9", "severity_raised", INC, KEY, "critical"))
    assert fold_incidents(events)[INC].acknowledged_by is None
    events.append(incident_event(day, "r9", "notified", INC, KEY, "critical", detail="reply"))
    events.append(incident_event(day, "r9", "notified", INC, KEY, "critical",
                                 detail="reminder"))
    assert ("reminder", INC) in _ops(events, day + 25 * H)


def test_silence_stops_replies_for_current_and_future_members_until_it_ends() -> None:
    events = [e for e in history() if e.incident_id == INC]
    events += _decided(events, "silence", OPENED + H)
    joined = make_event(OPENED + 2 * H, "r2", "fired", "hit_rate_below_55", "critical", LABELS)
    events.append(replace(joined, incident_id=INC, incident_key=KEY))
    assert ("reply", INC) not in _ops(events, OPENED + 2 * H)
    assert ("reminder", INC) not in _ops(events, OPENED + 24 * H)
    # Past the 24 h: the reply is owed again.
    assert ("reply", INC) in _ops(events, OPENED + 25 * H)
    # Unsilenced from Slack: owed at once.
    events += _decided(events, "unsilence", OPENED + 3 * H)
    assert ("reply", INC) in _ops(events, OPENED + 3 * H)
