"""The Slack app on `serve`: signed requests through real HTTP to `serve`'s routes,
the real slack-sdk against the Slack fake, real cycles on a DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from monitor.commands.serve_command import serve_routes
from monitor.config import MonitorConfig, SlackApp
from monitor.demo import incident_first_date
from monitor.demo.options import BROKEN_COMMIT
from monitor.metrics.prometheus import PrometheusExporter
from monitor.scheduler import Health
from monitor.secrets import Secret
from monitor.slack_app import SlackAppDeps, build_slack_app
from monitor.validate import DailyReport
from monitor.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import DEMO_OPTS
from tests.contract import ContractDB
from tests.fakes.slack_server import FakeSlack
from tests.slack_presses import (
    SIGNING,
    Client,
    Served,
    app_on,
    notifier,
    press_payload,
    served_for,
)
from tests.slates import T0, broken_slate, mismatch_posts, run

H = dt.timedelta(hours=1)


def actions(db: ContractDB) -> list[tuple[str, str | None, str | None]]:
    wh = DuckDBWarehouse(db.path)
    try:
        rows = wh.connection.execute(
            "SELECT event_type, actor, detail FROM nba_predictions.monitor_alert_events "
            "WHERE event_type IN ('acknowledged', 'silence', 'unsilence') "
            "ORDER BY event_time").fetchall()
    finally:
        wh.close()
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.fixture
def alerted(db: ContractDB, slack_bot: FakeSlack) -> tuple[dict[str, Any], str]:
    """A firing vegas_line_feature_mismatch message posted by a real cycle at T0."""
    broken_slate(db)
    db.close()
    assert run(db, T0, "r1") == 0
    post, = mismatch_posts(slack_bot)
    ts = next(t for args, t in slack_bot.posted if args["text"] == post["text"])
    return post, ts




@pytest.fixture
def served(db: ContractDB, slack_bot: FakeSlack, config: MonitorConfig) -> Iterator[Served]:
    s = served_for(db, slack_bot, config)
    yield s
    s.close()


def test_acknowledge_updates_the_message_and_stops_repeats_until_resolved(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        served: Served) -> None:
    post, ts = alerted
    served.now = T0 + H
    assert served.press("acknowledge", post, ts, slack_bot, user="U024BE7LH")[0] == 200
    assert actions(db) == [("acknowledged", "U024BE7LH", None)]
    update, = slack_bot.wait_for_updates(1)
    assert (update["channel"], update["ts"]) == ("C0ALERTS", ts)
    text = json.dumps(update["blocks"])
    assert "Acknowledged by <@U024BE7LH> at" in text
    assert [e["action_id"] for e in update["blocks"][-1]["elements"]] == ["silence_24h",
                                                                        "block_commit"]
    # The incident reminds every 24 h; acknowledged, the next cycles post nothing more.
    assert run(db, T0 + 13 * H, "r2") == 0
    assert run(db, T0 + 26 * H, "r3") == 0
    assert len(mismatch_posts(slack_bot)) == 1
    # Pressed again: nothing to do, said privately; no second event.
    assert served.press("acknowledge", post, ts, slack_bot)[0] == 200
    name, said = slack_bot.wait_for_responses(1)[0]
    assert len(actions(db)) == 1 and len(slack_bot.updated) == 1
    assert name == "i" and said["response_type"] == "ephemeral" and "Nothing to do" in said["text"]


def test_silence_24h_mutes_and_expires_on_time_unsilence_gives_it_back(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        served: Served) -> None:
    post, ts = alerted
    served.now = T0 + H
    assert served.press("silence_24h", post, ts, slack_bot, user="U0SECOND")[0] == 200
    until = T0 + 25 * H
    assert actions(db) == [("silence", "U0SECOND", until.isoformat())]
    update, = slack_bot.wait_for_updates(1)
    assert "Silenced by <@U0SECOND>" in json.dumps(update["blocks"])
    assert [e["action_id"] for e in update["blocks"][-1]["elements"]] == ["unsilence",
                                                                        "block_commit"]
    # Past the incident's 24 h reminder and up to the last minute of the silence:
    # nothing posted.
    assert run(db, T0 + 13 * H, "r2") == 0
    assert run(db, until - dt.timedelta(minutes=1), "r3") == 0
    assert len(mismatch_posts(slack_bot)) == 1
    # The silence is over: the incident's reminder is due, once, in its thread.
    assert run(db, until, "r4") == 0
    assert len(mismatch_posts(slack_bot)) == 2
    assert mismatch_posts(slack_bot)[-1]["thread_ts"] == ts
    assert run(db, until + H, "r5") == 0
    assert len(mismatch_posts(slack_bot)) == 2
    # Silenced again, then unsilenced from Slack: the next cycle gives it back.
    newest = mismatch_posts(slack_bot)[-1]
    newest_ts = next(t for a, t in reversed(slack_bot.posted) if a["text"] == newest["text"])
    served.now = until + 2 * H
    assert served.press("silence_24h", newest, newest_ts, slack_bot)[0] == 200
    served.now = until + 3 * H
    assert served.press("unsilence", newest, newest_ts, slack_bot, user="U0THIRD")[0] == 200
    assert [a[:2] for a in actions(db)][-2:] == [("silence", "U1"), ("unsilence", "U0THIRD")]
    assert "Unsilenced by <@U0THIRD>" in json.dumps(slack_bot.wait_for_updates(3)[-1]["blocks"])
    # Unsilenced, the incident reminds again on its own clock (a day after the last).
    assert run(db, until + 4 * H, "r6") == 0
    assert len(mismatch_posts(slack_bot)) == 2
    assert run(db, until + 24 * H, "r7") == 0
    assert len(mismatch_posts(slack_bot)) == 3


@pytest.mark.parametrize("how", ["unsigned", "bad signature", "replayed"])
def test_unverified_requests_are_refused_and_change_nothing(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        served: Served, how: str) -> None:
    post, ts = alerted
    kw: dict[str, Any] = {"unsigned": {"signed": False},
                          "bad signature": {"secret": "not-the-signing-secret"},
                          "replayed": {"age": dt.timedelta(minutes=5, seconds=1)}}[how]
    requests_before = len(slack_bot.requests)
    started: list[dt.date] = []
    real_validate = served.app.validate
    served.app.validate = lambda day: started.append(day) or real_validate(day)  # type: ignore[func-returns-value]
    for action in ("acknowledge", "silence_24h"):
        status, body = served.press(action, post, ts, slack_bot, **kw)
        assert (status, body.strip()) == (401, "invalid or missing Slack signature")
    status, _ = served.command("", slack_bot, **kw)
    assert status == 401
    assert actions(db) == []
    assert len(slack_bot.requests) == requests_before  # nothing posted, updated or answered
    assert started == []


def test_a_request_just_inside_five_minutes_is_accepted(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        served: Served) -> None:
    post, ts = alerted
    status, _ = served.press("acknowledge", post, ts, slack_bot, age=dt.timedelta(minutes=4))
    assert status == 200 and len(actions(db)) == 1


def test_users_not_allowed_get_an_ephemeral_refusal_and_nothing_changes(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        config: MonitorConfig) -> None:
    post, ts = alerted
    slack_bot.usergroups["S0ONCALL"] = ["U0SECOND"]
    restricted = config.model_copy(update={"slack_app": SlackApp(
        allowed_users=["UBOSS"], allowed_usergroup="S0ONCALL")})
    served = served_for(db, slack_bot, restricted)
    try:
        assert served.press("silence_24h", post, ts, slack_bot, user="U1")[0] == 200
        name, said = slack_bot.wait_for_responses(1)[0]
        assert said["response_type"] == "ephemeral" and said["replace_original"] is False
        assert "not allowed" in said["text"]
        assert actions(db) == [] and slack_bot.updated == []
        # A member of the user group and a listed user may.
        assert served.press("acknowledge", post, ts, slack_bot, user="U0SECOND")[0] == 200
        assert served.press("silence_24h", post, ts, slack_bot, user="UBOSS")[0] == 200
        assert [a[:2] for a in actions(db)] == [("acknowledged", "U0SECOND"), ("silence", "UBOSS")]
        assert len(slack_bot.wait_for_updates(2)) == 2
    finally:
        served.close()


# --- the slash command ------------------------------------------------------------------

@pytest.fixture
def demo_served(demo_path: Path, tmp_path: Path, slack_bot: FakeSlack,
                config: MonitorConfig) -> Iterator[Served]:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    s = Served(build_slack_app(app_on(path, config), Secret(SIGNING), notifier(slack_bot)))
    yield s
    s.close()


def test_validate_daily_answers_before_its_checks_start_then_posts_the_verdict(
        demo_served: Served, slack_bot: FakeSlack) -> None:
    incident = incident_first_date(DEMO_OPTS)
    answered = threading.Event()
    order: list[str] = []
    real_validate = demo_served.app.validate

    def gated(day: dt.date) -> DailyReport:
        # Had the route run the checks before answering, the answer could not arrive
        # while they wait here: the order is asserted, not a clock.
        order.append("answered" if answered.wait(timeout=30) else "checks before answer")
        order.append("checks started")
        return real_validate(day)

    demo_served.app.validate = gated
    status, body = demo_served.command(incident.isoformat(), slack_bot)
    answered.set()
    assert status == 200
    assert json.loads(body) == {"response_type": "ephemeral",
                                "text": f"validating {incident.isoformat()}…"}
    name, verdict = slack_bot.wait_for_responses(1, timeout=120)[0]
    assert order == ["answered", "checks started"]
    assert name == "c1" and verdict["response_type"] == "in_channel"
    first = verdict["blocks"][0]["text"]["text"]
    assert f"validate-daily {incident.isoformat()}: FAIL" in first
    assert f"feature_defaults fail (commit `{BROKEN_COMMIT}`)" in first
    rows = {b["text"]["text"].split("*")[1] for b in verdict["blocks"]
            if b["type"] == "section" and b["text"]["text"].startswith(("✅", "❌", "⚠", "❔"))}
    assert {"feature_defaults", "freshness", "provenance"} <= rows
    assert "*Next steps*" in verdict["blocks"][-1]["text"]["text"]


@pytest.mark.parametrize("text, says", [
    ("help", "usage: `/validate-daily [YYYY-MM-DD|help]`"),
    ("2026-13-45", "not a date: `2026-13-45`"),
    ("0001-01-01", "not a date: `0001-01-01`"),
    ("9999-12-31", "not a date: `9999-12-31`"),
    ("yesterday please", "unknown argument `yesterday please`"),
    ("<!channel>", "unknown argument `&lt;!channel&gt;`"),
])
def test_bad_arguments_get_a_usage_line_and_run_nothing(
        demo_served: Served, slack_bot: FakeSlack, text: str, says: str) -> None:
    started: list[dt.date] = []
    demo_served.app.validate = lambda day: started.append(day)  # type: ignore[assignment, func-returns-value]
    status, body = demo_served.command(text, slack_bot)
    answer = json.loads(body)
    assert status == 200 and answer["response_type"] == "ephemeral"
    assert says in answer["text"] and "usage" in answer["text"]
    assert started == [] and slack_bot.responses == []


def test_a_monitor_error_gets_an_ephemeral_error_line(db: ContractDB, slack_bot: FakeSlack,
                                                      config: MonitorConfig,
                                                      tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "missing.duckdb"
    served = Served(build_slack_app(app_on(missing, config), Secret(SIGNING),
                                    notifier(slack_bot)))
    try:
        status, body = served.command("2026-01-09", slack_bot)
        assert status == 200 and "validating 2026-01-09" in body
        name, said = slack_bot.wait_for_responses(1)[0]
        assert said["response_type"] == "ephemeral"
        assert "validate-daily 2026-01-09: the monitor could not run" in said["text"]
    finally:
        served.close()


def test_slack_routes_are_off_without_a_signing_secret(config: MonitorConfig) -> None:
    routes = serve_routes(Health(), PrometheusExporter(), lambda day: "")
    assert not any(path.startswith("/slack/") for _, path in routes)


def test_the_manifest_points_at_serves_routes_with_the_scopes_in_use() -> None:
    import yaml

    from tests.processes import ROOT

    manifest = yaml.safe_load((ROOT / "deploy/slack/manifest.yaml").read_text())
    command, = manifest["features"]["slash_commands"]
    assert command["command"] == "/validate-daily"
    app = SlackAppDeps(Secret(SIGNING), SlackApp(), lambda day: None,  # type: ignore[arg-type, return-value]
                       lambda now: now.date(), lambda: None, lambda url, body: None)  # type: ignore[arg-type, return-value]
    routes = serve_routes(Health(), PrometheusExporter(), lambda day: "", app)
    for url in (command["url"], manifest["settings"]["interactivity"]["request_url"]):
        assert ("POST", url.removeprefix("https://HOST")) in routes
    # usergroups:read only where a user group is configured: commented out by default.
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "chat:write", "commands", "files:write", "channels:history"]


def test_a_signing_secret_with_a_newline_is_refused_without_being_echoed() -> None:
    from monitor.notify.factory import slack_env_problems

    problems = slack_env_problems({"SLACK_SIGNING_SECRET": SIGNING + "\n"})
    assert problems == ["SLACK_SIGNING_SECRET contains whitespace or a control character "
                        "(a stray newline when the secret was stored?)"]
    assert repr(Secret(SIGNING)) == "<secret>" and SIGNING not in str(problems)


# --- `prediction-monitor serve` itself, and `silences` ----------------------------------

def test_serve_with_a_signing_secret_acts_on_a_press_and_lists_the_silence(
        db: ContractDB, tmp_path: Path, slack: FakeSlack,
        capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import time

    from monitor.cli import main
    from monitor.model import eastern_date
    from tests.processes import BIN, ROOT, clean_env, free_port, slack_env
    from tests.slates import broken

    now = dt.datetime.now(dt.UTC)
    broken(db, eastern_date(now), at=now - dt.timedelta(hours=1))
    db.close()
    config = tmp_path / "alerts.yaml"
    config.write_text((ROOT / "alerts.yaml").read_text().replace(
        "    runbook_url: runbooks.md#vegas_line_feature_mismatch\n",
        "    runbook_url: runbooks.md#vegas_line_feature_mismatch\n"
        "    silences:\n      - matchers: {system_id: shadow_v1}\n"
        "        expires_at: 2099-01-01T00:00:00Z\n        comment: known shadow\n", 1))
    env = clean_env(**slack_env(slack), MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    port = free_port()
    proc = None
    try:
        cycle = subprocess.run([str(BIN), "run", "--warehouse", db.url, "--config", str(config)],
                               env=env, capture_output=True, text=True, timeout=120)
        assert cycle.returncode == 0, cycle.stderr
        post, = mismatch_posts(slack)
        ts = slack.posted[0][1]
        proc = subprocess.Popen([str(BIN), "serve", "--warehouse", db.url, "--config",
                                 str(config), "--port", str(port)],
                                env={**env, "SLACK_SIGNING_SECRET": SIGNING},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        client = Client(f"http://127.0.0.1:{port}", dt.datetime.now(dt.UTC))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = client.post("/slack/commands", b"", signed=False)
                break
            except OSError:
                time.sleep(0.2)
        assert status == 401
        assert client.press("silence_24h", post, ts, slack, user="U0ONCALL")[0] == 200
        assert actions(db)[0][:2] == ("silence", "U0ONCALL")
        update, = slack.wait_for_updates(1)
        assert "Silenced by <@U0ONCALL>" in json.dumps(update["blocks"])
    finally:
        if proc is not None:
            proc.terminate()
            proc.communicate(timeout=60)
    capsys.readouterr()
    assert main(["silences", "--warehouse", db.url, "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    # The press silenced the incident the message is about.
    assert "(Slack, by U0ONCALL)" in lines[0] and lines[0].startswith("incident #1 commit:")
    assert lines[1].startswith("vegas_line_feature_mismatch {system_id=shadow_v1} until "
                               "2099-01-01 00:00 UTC (alerts.yaml) — known shadow")
    assert main(["silences", "--warehouse", db.url, "--config", str(config),
                 "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["silences"]
    assert [(s["origin"], s["by"]) for s in listed] == [("slack", "U0ONCALL"),
                                                        ("alerts.yaml", None)]
    until = dt.datetime.fromisoformat(listed[0]["until"])
    assert dt.timedelta(hours=23) < until - now < dt.timedelta(hours=25)


def test_serve_without_a_signing_secret_has_no_slack_routes(db: ContractDB,
                                                             tmp_path: Path) -> None:
    import subprocess
    import time

    from tests.processes import BIN, clean_env, free_port

    db.close()
    port = free_port()
    proc = subprocess.Popen([str(BIN), "serve", "--warehouse", db.url, "--port", str(port)],
                            env=clean_env(MONITOR_METRICS_DIR=str(tmp_path / "metrics")),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        client = Client(f"http://127.0.0.1:{port}", dt.datetime.now(dt.UTC))
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = client.post("/slack/commands", b"text=")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert (status, body.strip()) == (404, "no route /slack/commands")
    finally:
        proc.terminate()
        proc.communicate(timeout=60)


def test_without_a_bot_token_the_message_is_replaced_through_the_response_url(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        config: MonitorConfig) -> None:
    from monitor.notify.slack import SlackWebhookNotifier

    post, ts = alerted
    served = Served(build_slack_app(app_on(db.path, config), Secret(SIGNING),
                                    SlackWebhookNotifier.from_url(Secret(slack_bot.webhook_url))))
    try:
        assert served.press("acknowledge", post, ts, slack_bot)[0] == 200
        name, replaced = slack_bot.wait_for_responses(1)[0]
    finally:
        served.close()
    assert name == "i" and replaced["replace_original"] is True
    assert "Acknowledged by U1 at" in json.dumps(replaced["blocks"])
    assert slack_bot.updated == [] and actions(db) == [("acknowledged", "U1", None)]


def test_slack_app_settings_are_strict_with_file_and_line() -> None:
    from monitor.config import ConfigError, parse_config
    from tests.processes import ROOT

    base = (ROOT / "alerts.yaml").read_text()
    first = base.count("\n") + 2  # the line of allowed_users below
    ok = parse_config(base + "slack_app:\n  allowed_users: [U024BE7LH]\n"
                      "  allowed_usergroup: S0614TZR7\n", "alerts.yaml")
    assert ok.slack_app.restricted and ok.slack_app.allowed_users == ["U024BE7LH"]
    assert not parse_config(base, "alerts.yaml").slack_app.restricted
    with pytest.raises(ConfigError) as err:
        parse_config(base + "slack_app:\n  allowed_users: [alice]\n  allow_all: true\n",
                     "alerts.yaml")
    text = str(err.value)
    assert f"alerts.yaml:{first}" in text and f"alerts.yaml:{first + 1}" in text


def test_an_unreachable_response_url_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    from monitor.slack_app import post_to_response_url

    # A URL the HTTP client refuses with its own text quoted back in the error.
    url = "http://127.0.0.1:9/commands/T000/1234/s3cr3t path"
    with caplog.at_level("WARNING"):
        post_to_response_url(url, {"text": "verdict"})
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "response_url unreachable" in logged
    assert "s3cr3t" not in logged


# --- signed but hostile payloads ------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def _malformed(payload: dict[str, Any], case: str) -> tuple[str, str]:
    """(the form's payload text, the field the answer names) for one malformed case."""
    p = json.loads(json.dumps(payload))
    action = p["actions"][0]
    cases: dict[str, tuple[Any, str]] = {
        "actions[0] a string": (lambda: p.update(actions=["acknowledge"]), "actions[0]"),
        "actions an object": (lambda: p.update(actions={"0": action}), "actions"),
        "actions empty": (lambda: p.update(actions=[]), "actions"),
        "action_id a number": (lambda: action.update(action_id=7), "actions[0].action_id"),
        "value a list": (lambda: action.update(value=["fp"]), "actions[0].value"),
        "no action_ts": (lambda: action.pop("action_ts"), "actions[0].action_ts"),
        "container a string": (lambda: p.update(container="C0ALERTS"), "container"),
        "message_ts a number": (lambda: p["container"].update(message_ts=1.5),
                                "container.message_ts"),
        "channel a list": (lambda: p.update(channel=["C0ALERTS"]), "channel"),
        "channel id an object": (lambda: (p["container"].pop("channel_id"),
                                          p["channel"].update(id={})), "channel.id"),
        "message a string": (lambda: p.update(message="alert"), "message"),
        "blocks a string": (lambda: p["message"].update(blocks="[]"), "message.blocks"),
        "a block a list": (lambda: p["message"]["blocks"].append([1]), "message.blocks["),
        "text an object": (lambda: p["message"].update(text={}), "message.text"),
        "user a string": (lambda: p.update(user="U1"), "user"),
        "no user id": (lambda: p["user"].pop("id"), "user.id"),
        "response_url a number": (lambda: p.update(response_url=5), "response_url"),
        "payload a list": (lambda: None, "payload"),
        "nested 100,000 deep": (lambda: None, "payload"),
    }
    change, name = cases[case]
    change()
    if case == "payload a list":
        return json.dumps([p]), name
    if case == "nested 100,000 deep":
        return json.dumps(p)[:-1] + f', "extra": {DEEP}}}', name
    return json.dumps(p), name


MALFORMED = ["actions[0] a string", "actions an object", "actions empty", "action_id a number",
             "value a list", "no action_ts", "container a string", "message_ts a number",
             "channel a list", "channel id an object", "message a string", "blocks a string",
             "a block a list", "text an object", "user a string", "no user id",
             "response_url a number", "payload a list", "nested 100,000 deep"]


@pytest.mark.parametrize("action", ["acknowledge", "silence_24h"])
def test_signed_malformed_payloads_are_a_400_naming_the_field_and_record_nothing(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        served: Served, action: str) -> None:
    post, ts = alerted
    served.now = T0 + H
    payload = press_payload(action, post, ts, slack_bot, "U1", served.now)
    requests_before = len(slack_bot.requests)
    for case in MALFORMED:
        text, name = _malformed(payload, case)
        status, body = served.post("/slack/interactions",
                                   urlencode({"payload": text}).encode())
        assert status == 400, (case, body)
        assert body.startswith(f"malformed interaction payload: {name}"), (case, body)
        assert "Traceback" not in body
    for body in (b"", b"payload=not%20json", b"payload=%5B"):
        status, text = served.post("/slack/interactions", body)
        assert status == 400 and "payload" in text, body
    assert actions(db) == []
    assert len(slack_bot.requests) == requests_before  # nothing updated or answered
    # The well-formed press is still recorded, once.
    assert served.press(action, post, ts, slack_bot)[0] == 200
    assert len(actions(db)) == 1


def test_a_press_replayed_within_five_minutes_records_one_action(
        db: ContractDB, slack_bot: FakeSlack, alerted: tuple[dict[str, Any], str],
        served: Served) -> None:
    post, ts = alerted
    served.now = T0 + H
    body = urlencode({"payload": json.dumps(
        press_payload("silence_24h", post, ts, slack_bot, "U0ONCALL", served.now))}).encode()
    assert served.post("/slack/interactions", body)[0] == 200
    slack_bot.wait_for_updates(1)
    # The very request again (its signature made at the first press), two minutes on, and
    # once more at the same time from two threads.
    served.now = T0 + H + dt.timedelta(minutes=2)
    age = dt.timedelta(minutes=2)
    assert served.post("/slack/interactions", body, age=age)[0] == 200
    replays = [threading.Thread(target=served.post, args=("/slack/interactions", body),
                                kwargs={"age": age}) for _ in range(2)]
    for t in replays:
        t.start()
    for t in replays:
        t.join(60)
    assert actions(db) == [("silence", "U0ONCALL", (T0 + 25 * H).isoformat())]
    assert len(slack_bot.updated) == 1
    # The same button pressed again later is a new press (a new action time): the
    # silence is renewed, a second action.
    served.now = T0 + 2 * H
    assert served.press("silence_24h", post, ts, slack_bot, user="U0ONCALL")[0] == 200
    assert len(actions(db)) == 2


def test_event_ids_of_a_press_derive_from_the_press() -> None:
    from monitor.rules.state import AlertState, action_events

    state = AlertState(fingerprint="fp1", rule="r", severity="warning", labels=(),
                       active=True)
    at = dt.datetime(2026, 1, 9, 16, tzinfo=dt.UTC)
    first, = action_events([state], "silence", now=at, run_id="slack:U1|1.0|2.0",
                           actor="U1", key="U1|1.0|2.0")
    again, = action_events([state], "silence", now=at + dt.timedelta(minutes=2),
                           run_id="slack:U1|1.0|2.0", actor="U1", key="U1|1.0|2.0")
    other, = action_events([state], "silence", now=at, run_id="slack:U2|1.0|2.0",
                           actor="U2", key="U2|1.0|2.0")
    assert first.event_id == again.event_id != other.event_id
    assert first.detail != again.detail  # the time differs; the press is the same


def test_serve_routes_slack_serves_only_the_slack_app_and_healthz(
        db: ContractDB, tmp_path: Path) -> None:
    import subprocess
    import time

    from tests.processes import BIN, clean_env, free_port

    db.close()
    env = clean_env(MONITOR_METRICS_DIR=str(tmp_path / "metrics"))
    args = [str(BIN), "serve", "--warehouse", db.url, "--routes", "slack", "--host",
            "127.0.0.1"]
    refused = subprocess.run([*args, "--port", "0"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("configuration error: --routes slack serves the Slack "
                                      "app, which needs SLACK_SIGNING_SECRET")
    port = free_port()
    proc = subprocess.Popen([*args, "--port", str(port)],
                            env={**env, "SLACK_SIGNING_SECRET": SIGNING},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
                    assert resp.status == 200
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        for method, path in (("GET", "/metrics"), ("GET", "/report"),
                             ("POST", "/events/batch")):
            request = urllib.request.Request(base + path, b"{}" if method == "POST" else None,
                                             method=method)
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(request, timeout=30)
            info.value.close()
            assert info.value.code == 404, path
        client = Client(base, dt.datetime.now(dt.UTC))
        assert client.post("/slack/commands", b"text=", signed=False)[0] == 401
        assert client.command("help", _NoSlack())[0] == 200
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0]
    assert "/healthz /slack/commands /slack/interactions on 127.0.0.1 port" in out
    assert "POST /events/batch" not in out  # no push route, so no warning about one


class _NoSlack:
    def response_url(self, name: str) -> str:
        return "http://127.0.0.1:9/nowhere"
