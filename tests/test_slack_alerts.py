"""The alerting cycle through the real slack-sdk against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
from pathlib import Path

import pytest

from monitor.cli import main
from tests.contract import ContractDB, D, features, ts
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.processes import ROOT
from tests.slates import T0, broken_slate, mismatch_posts, run


@pytest.fixture
def bot_env(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_CHANNEL", "#prediction-alerts")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    return slack


def healthy_slate(db: ContractDB, day: dt.date, commit: str = "600dc0de") -> None:
    for _ in range(40):
        db.prediction(day=day, commit=commit, predicted_at=ts(day, 15))


def events(db: ContractDB) -> list[tuple[str, str, str | None]]:
    from tests.contract import fetch

    rows = fetch(db.path, "SELECT event_type, run_id, detail "
                          "FROM nba_predictions.monitor_alert_events "
                          "ORDER BY event_time, recorded_at, seq")
    return [(r[0], r[1], r[2]) for r in rows]


def test_firing_alert_posts_one_message_with_the_evidence(db: ContractDB,
                                                          bot_env: FakeSlack) -> None:
    broken_slate(db)
    db.close()
    assert run(db, T0, "r1") == 0
    posts = bot_env.posts()
    assert len(posts) == 1
    post = posts[0]
    assert post["channel"] == "#prediction-alerts"
    blocks = post["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "CRITICAL #1: commit bad0c0de (open)"
    assert "vegas_line_feature_mismatch firing" in str(post["text"])
    body = json.dumps(blocks, ensure_ascii=False)
    assert "`bad0c0de`" in body and "`catboost_v8`" in body
    assert "mismatch_share *100.0%* (n=40, 95% CI 91.2%–100.0%)" in body
    assert "2026-01-09" in body
    # No settings.runbook_base_url: the rule's relative runbook_url is text, not a link.
    assert ("Runbook: vegas_line_feature_mismatch: `runbooks.md#vegas_line_feature_mismatch`"
            in body)
    assert ("fired", "r1", None) in events(db) and ("opened", "r1", "1") in events(db)


def test_the_runbook_is_a_link_under_the_configured_base(db: ContractDB, bot_env: FakeSlack,
                                                         tmp_path: Path) -> None:
    config = tmp_path / "alerts.yaml"
    config.write_text((ROOT / "alerts.yaml").read_text().replace(
        "\nsettings:\n", "\nsettings:\n  runbook_base_url: https://docs.test/pm/\n"
        "  report_url: https://reports.test/monitor.html\n", 1))
    broken_slate(db)
    db.close()
    assert run(db, T0, "r1", "--config", str(config)) == 0
    body = json.dumps(bot_env.posts()[0]["blocks"], ensure_ascii=False)
    assert ("<https://docs.test/pm/runbooks.md#vegas_line_feature_mismatch|Runbook: "
            "vegas_line_feature_mismatch>") in body
    # The incident's number links the report where the deployment publishes it.
    assert "<https://reports.test/monitor.html|Report (incident #1)>" in body


def test_second_run_inside_repeat_interval_posts_nothing(db: ContractDB,
                                                         bot_env: FakeSlack) -> None:
    broken_slate(db)
    db.close()
    run(db, T0, "r1")
    run(db, T0 + dt.timedelta(hours=1), "r2")
    run(db, T0 + dt.timedelta(hours=2), "r3")
    assert len(bot_env.posts()) == 1
    # The rule's own 12 h repeat_interval no longer drives Slack: the incident's (24 h)
    # does, with one reminder in the incident's thread.
    run(db, T0 + dt.timedelta(hours=12), "r4")
    assert len(bot_env.posts()) == 1
    run(db, T0 + dt.timedelta(hours=24), "r5")
    run(db, T0 + dt.timedelta(hours=25), "r6")
    posts = bot_env.posts()
    assert len(posts) == 2
    assert posts[1]["thread_ts"] == bot_env.posted[0][1]
    assert str(posts[1]["text"]) == ("Still firing: #1 commit bad0c0de "
                                     "(vegas_line_feature_mismatch), open 24 h")


def test_cleared_alert_resolves_in_its_thread(db: ContractDB, bot_env: FakeSlack) -> None:
    broken_slate(db)
    for back in range(1, 8):
        healthy_slate(db, D + dt.timedelta(days=back))
    db.close()
    run(db, T0, "r1")
    first_ts = next(ts for args, ts in bot_env.posted
                    if "vegas_line_feature_mismatch" in str(args.get("text")))
    later = ts(D + dt.timedelta(days=5), 16)  # D is outside today-3 .. tomorrow

    def thread() -> list[dict[str, object]]:  # the incident's replies
        return [p for p in bot_env.posts() if p.get("thread_ts") == first_ts]

    run(db, later, "r2")
    # One clear run is not enough (after_runs: 2); a day later than the post, the
    # incident's reminder.
    assert [str(p["text"]) for p in thread()] == [
        "Still firing: #1 commit bad0c0de (vegas_line_feature_mismatch), open 5.0 days"]
    run(db, later + dt.timedelta(hours=1), "r3")
    posts = thread()
    assert len(posts) == 2
    assert str(posts[1]["text"]) == "Resolved: #1 commit bad0c0de"
    assert "vegas_line_feature_mismatch (system catboost_v8) resolved" in json.dumps(
        posts[1]["blocks"])
    # The top-level message says so too.
    assert bot_env.updated[-1]["ts"] == first_ts
    assert bot_env.updated[-1]["blocks"][0]["text"]["text"] == \
        "CRITICAL #1: commit bad0c0de (resolved)"
    run(db, later + dt.timedelta(hours=2), "r4")
    assert len(thread()) == 2
    kinds = [e for e in events(db) if e[0] in ("resolved", "clear")]
    # The alert's resolution and its incident's.
    assert [k[0] for k in kinds] == ["clear", "clear", "resolved", "resolved"]


def test_rate_limit_is_retried_and_delivered(db: ContractDB, bot_env: FakeSlack) -> None:
    broken_slate(db)
    db.close()
    bot_env.script.append((429, {"Retry-After": "1"},
                           json.dumps({"ok": False, "error": "ratelimited"}).encode()))
    assert run(db, T0, "r1") == 0
    assert len(bot_env.posts()) == 2  # the 429, then the retry
    assert [e[0] for e in events(db)] == ["opened", "fired", "notified", "notified"]


def test_a_retry_after_over_the_cap_leaves_the_message_owed_for_the_next_run(
        db: ContractDB, bot_env: FakeSlack, tmp_path: Path) -> None:
    broken_slate(db)
    db.close()
    config = tmp_path / "alerts.yaml"
    config.write_text((ROOT / "alerts.yaml").read_text()
                      + "\nslack:\n  max_retry_after_seconds: 5\n")
    limited = json.dumps({"ok": False, "error": "ratelimited"}).encode()
    # 20 s is over the cap of 5: not waited for (the run would stall), kept owed.
    bot_env.script.append((429, {"Retry-After": "20"}, limited))
    assert run(db, T0, "r1", "--config", str(config)) == 0
    assert len(bot_env.posts()) == 1
    assert [e[0] for e in events(db)] == ["opened", "fired", "notify_failed"]
    # Two waits of 3 s would pass 5 s too: one is waited, then the message stays owed.
    bot_env.script += [(200, {}, json.dumps({"ok": True, "messages": []}).encode()),  # lookup
                       *[(429, {"Retry-After": "3"}, limited)] * 2]
    assert run(db, T0 + dt.timedelta(hours=1), "r2", "--config", str(config)) == 0
    assert len(bot_env.posts()) == 3
    assert [e[0] for e in events(db)][-1] == "notify_failed"
    assert run(db, T0 + dt.timedelta(hours=2), "r3", "--config", str(config)) == 0
    assert len(mismatch_posts(bot_env)) == 4
    assert [e[0] for e in events(db)][-1] == "notified"


def test_server_errors_leave_the_alert_pending_until_the_next_run(
        db: ContractDB, bot_env: FakeSlack) -> None:
    broken_slate(db)
    db.close()
    for _ in range(3):  # the first try and both retries
        bot_env.script.append((500, {}, b"oops"))
    assert run(db, T0, "r1") == 0
    assert len(bot_env.posts()) == 3
    assert [e[0] for e in events(db)] == ["opened", "fired", "notify_failed"]
    run(db, T0 + dt.timedelta(hours=1), "r2")
    assert len(bot_env.posts()) == 4
    run(db, T0 + dt.timedelta(hours=2), "r3")
    assert len(bot_env.posts()) == 4  # exactly once
    assert [e[0] for e in events(db)] == ["opened", "fired", "notify_failed", "notified",
                                          "notified"]


def test_refused_connection_leaves_pending_and_rerun_of_same_id_delivers_once(
        db: ContractDB, bot_env: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    broken_slate(db)
    db.close()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/api/"
    monkeypatch.setenv("SLACK_API_URL", dead)
    assert run(db, T0, "r1") == 0
    assert bot_env.posts() == []
    monkeypatch.setenv("SLACK_API_URL", bot_env.base_url)
    run(db, T0, "r1")  # the same run re-executed (a retried job task)
    assert len(bot_env.posts()) == 1
    run(db, T0, "r1")
    assert len(bot_env.posts()) == 1
    assert [e[0] for e in events(db)].count("fired") == 1


def test_rerunning_the_same_run_id_posts_nothing_new(db: ContractDB,
                                                     bot_env: FakeSlack) -> None:
    broken_slate(db)
    db.close()
    run(db, T0, "job/exec-1/0")
    run(db, T0, "job/exec-1/0")
    assert len(bot_env.posts()) == 1
    assert len(events(db)) == 4  # opened, fired, the post, the alert told by it


def test_webhook_path_works_the_same(db: ContractDB, slack: FakeSlack,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    broken_slate(db)
    db.close()
    for _ in range(3):
        slack.script.append((503, {}, b"service_unavailable"))
    run(db, T0, "r1")
    assert len(slack.webhook_posts()) == 3
    run(db, T0 + dt.timedelta(hours=1), "r2")
    run(db, T0 + dt.timedelta(hours=2), "r3")
    posts = slack.webhook_posts()
    assert len(posts) == 4
    assert posts[-1]["blocks"][0]["text"]["text"] == "CRITICAL #1: commit bad0c0de (open)"


def test_secrets_never_appear_in_output(db: ContractDB, slack: FakeSlack,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        caplog: pytest.LogCaptureFixture) -> None:
    broken_slate(db)
    db.close()
    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret_url = f"http://127.0.0.1:{port}/services/T0/B0/WEBHOOKSECRET123"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", secret_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    run(db, T0, "r1")
    monkeypatch.delenv("SLACK_WEBHOOK_URL")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-TOKENSECRET456")
    monkeypatch.setenv("SLACK_CHANNEL", "#c")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    run(db, T0 + dt.timedelta(hours=1), "r2")  # invalid_auth from the fake
    out = capsys.readouterr()
    text = out.out + out.err + caplog.text + json.dumps(events(db))
    assert "notification" in text and "failed" in text  # the failures were reported...
    assert "WEBHOOKSECRET123" not in text and "TOKENSECRET456" not in text  # ...safely
    assert "invalid_auth" in text


def test_data_text_is_escaped_for_mrkdwn(db: ContractDB, bot_env: FakeSlack) -> None:
    broken_slate(db, commit="<!channel>")
    # tomorrow's slate, predicted today
    broken_slate(db, commit="<https://x|y>", day=D + dt.timedelta(days=1))
    db.close()
    run(db, T0, "r1")
    body = json.dumps(bot_env.posts())
    assert "<!channel>" not in body and "<https://x|y>" not in body
    assert "&lt;!channel&gt;" in body and "&lt;https://x|y&gt;" in body


def test_silenced_alert_posts_nothing_until_its_silence_expires(
        db: ContractDB, bot_env: FakeSlack, tmp_path: Path) -> None:
    broken_slate(db)
    db.close()
    config = (ROOT / "alerts.yaml").read_text().replace(
        "    repeat_interval: 12h\n    resolve: {announce: true, after_runs: 2}\n",
        "    repeat_interval: 12h\n    resolve: {announce: true, after_runs: 2}\n"
        "    silences:\n      - matchers: {build_commit_sha: bad0c0de}\n"
        f"        expires_at: {(T0 + dt.timedelta(hours=2)).isoformat()}\n"
        "        comment: known, regenerating\n", 1)
    path = tmp_path / "alerts.yaml"
    path.write_text(config)
    args = ("--config", str(path))
    main(["run", "--warehouse", db.url, "--as-of", T0.isoformat(), "--run-id", "r1", *args])
    main(["run", "--warehouse", db.url, "--as-of", (T0 + dt.timedelta(hours=1)).isoformat(),
          "--run-id", "r2", *args])
    assert bot_env.posts() == []
    assert ("silenced", "r1", "known, regenerating") in events(db)
    main(["run", "--warehouse", db.url, "--as-of", (T0 + dt.timedelta(hours=3)).isoformat(),
          "--run-id", "r3", *args])
    assert len(bot_env.posts()) == 1


def test_dry_run_writes_and_sends_nothing(db: ContractDB, bot_env: FakeSlack,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    broken_slate(db)
    db.close()
    assert run(db, T0, "r1", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "--- would post for incident #1 (commit:bad0c0de):" in out
    assert "vegas_line_feature_mismatch" in out
    assert bot_env.posts() == []
    assert events(db) == []


@pytest.mark.parametrize(("games_expected", "messages"), [(None, 1), (True, 1), (False, 0)])
def test_a_cycle_where_every_check_has_no_data_says_so_once_unless_an_off_day(
        db: ContractDB, slack: FakeSlack, config_path: Path,
        games_expected: bool | None, messages: int) -> None:
    from monitor.config import load_config
    from monitor.cycle import run_cycle
    from monitor.model import Status
    from monitor.notify.slack import SlackNotifier
    from monitor.rules.store import MemoryAlertStore
    from monitor.secrets import Secret

    config = load_config(config_path)
    notifier = SlackNotifier.from_token(Secret(TOKEN), "#alerts", slack.base_url)
    store = MemoryAlertStore()
    for hour in range(3):  # the tables stopped filling: three silent cycles
        summary = run_cycle(db.wh, config, notifier, store, as_of=T0 + dt.timedelta(hours=hour),
                            run_id=f"r{hour}", games_expected=games_expected)
        assert {r.status for r in summary.results} == {Status.NO_DATA}
    posts = slack.posts()
    assert len(posts) == messages
    if messages:
        assert "monitor_no_data" in str(posts[0]["text"])
        assert "had no data" in json.dumps(posts[0]["blocks"])


@pytest.fixture
def config_path() -> Path:
    return ROOT / "alerts.yaml"


def test_a_send_that_timed_out_but_landed_is_found_and_not_sent_again(
        db: ContractDB, slack: FakeSlack, config_path: Path) -> None:
    from monitor.config import load_config
    from monitor.cycle import run_cycle
    from monitor.notify.slack import METADATA_EVENT, SlackNotifier
    from monitor.rules.state import fold
    from monitor.rules.store import MemoryAlertStore
    from monitor.secrets import Secret

    broken_slate(db)
    config = load_config(config_path)
    store = MemoryAlertStore()

    def cycle(hours: int) -> None:
        # A fresh notifier each run, as each Cloud Run execution is a new process.
        notifier = SlackNotifier.from_token(Secret(TOKEN), "#alerts", slack.base_url,
                                            timeout=1)
        run_cycle(db.wh, config, notifier, store, as_of=T0 + dt.timedelta(hours=hours),
                  run_id=f"r{hours}")

    slack.delay = 2.5  # Slack takes the post, but answers after the client gave up
    cycle(0)
    assert [e.event_type for e in store.events][-1] == "notify_failed"
    slack.delay = 0.0
    cycle(1)  # the message is owed: look first, find it, do not post it again
    cycle(2)
    posts = mismatch_posts(slack)
    assert len(posts) == 1
    meta = posts[0]["metadata"]
    assert meta["event_type"] == METADATA_EVENT and len(meta["event_payload"]["key"]) == 24
    assert len(slack.posts("conversations.history")) == 1
    state, = [s for s in fold(store.events).values()
              if s.rule == "vegas_line_feature_mismatch"]
    assert state.pending is None and state.slack_ts == slack.posted[0][1]


def test_a_channel_slack_refuses_for_good_is_owed_once_reported_then_posted_once_fixed(
        db: ContractDB, bot_env: FakeSlack, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    broken_slate(db)
    db.close()
    metrics = tmp_path / "metrics"
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(metrics))
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)

    def refused(at: dt.datetime) -> float:
        lines = [json.loads(line) for line in
                 (metrics / "metrics.jsonl").read_text().splitlines()]
        value, = [line["value"] for line in lines if line["metric"] == "monitor_notify_failed"
                  and line["time"] == at.isoformat()]
        return float(value)

    bot_env.missing_channels.add("#prediction-alerts")  # deleted, or the app removed
    caplog.set_level(logging.WARNING)
    assert run(db, T0, "r1") == 0
    assert len(bot_env.posts()) == 1  # tried once: no retry can fix it
    assert events(db) == [("opened", "r1", "1"), ("fired", "r1", None),
                          ("notify_dropped", "r1", "post: channel_not_found")]
    assert refused(T0) == 1.0  # reported to the metrics (an alert policy pages on it)...
    assert "failed permanently" in caplog.text and "channel_not_found" in caplog.text
    # ...and not owed any more: the next runs send nothing to Slack (nor look there).
    asked = len(bot_env.requests)
    run(db, T0 + dt.timedelta(hours=1), "r2")
    assert len(bot_env.requests) == asked and refused(T0 + dt.timedelta(hours=1)) == 0.0
    bot_env.missing_channels.clear()  # someone fixed the channel
    run(db, T0 + dt.timedelta(hours=2), "r3")
    assert len(bot_env.posts()) == 1
    # After the incident's repeat_interval (24 h) it is tried again: the incident is
    # posted once, since nobody was told.
    run(db, T0 + dt.timedelta(hours=23), "r4")
    assert len(bot_env.posts()) == 1
    run(db, T0 + dt.timedelta(hours=24), "r5")
    run(db, T0 + dt.timedelta(hours=25), "r6")
    posts = bot_env.posts()
    assert len(posts) == 2 and len(bot_env.posted) == 1  # the refused one, then one post
    assert posts[1]["blocks"][0]["text"]["text"] == "CRITICAL #1: commit bad0c0de (open)"
    assert ("notified", "r5", "post") in events(db)
    assert "notify_dropped" not in [e[0] for e in events(db)][3:]


@pytest.mark.parametrize(("status", "answer", "retryable"), [
    (404, b"channel_not_found", False), (410, b"channel_is_archived", False),
    (403, b"invalid_token", False), (400, b"invalid_blocks", False),
    (429, b"rate_limited", True), (503, b"service_unavailable", True)])
def test_a_webhook_failure_says_whether_it_is_worth_retrying(
        slack: FakeSlack, status: int, answer: bytes, retryable: bool) -> None:
    from monitor.notify.body import MessageBody
    from monitor.notify.slack import SlackWebhookNotifier
    from monitor.secrets import Secret

    notifier = SlackWebhookNotifier.from_url(Secret(slack.webhook_url), max_retry_after=0)
    slack.script += [(status, {"Retry-After": "60"}, answer)] * 3  # any retries too
    delivery = notifier.send(MessageBody("incident", "T", "warning", "T", ()))
    assert not delivery.ok and delivery.retryable is retryable
    assert delivery.code == (None if status >= 500 else answer.decode())


def test_once_slack_takes_a_message_again_the_refused_alert_is_posted_once(
        db: ContractDB, bot_env: FakeSlack) -> None:
    broken_slate(db)  # predicted at 15:00
    for _ in range(40):  # a second broken commit, predicted at 17:00
        db.prediction(commit="bad1c0de", line=21.5, cf=features(None, has=0.0),
                      predicted_at=ts(D, 17))
    db.close()
    bot_env.missing_channels.add("#prediction-alerts")
    run(db, T0, "r1")
    assert ("notify_dropped", "r1", "post: channel_not_found") in events(db)
    bot_env.missing_channels.clear()
    # The new commit's alert goes through: Slack works again...
    run(db, T0 + dt.timedelta(hours=1, minutes=30), "r2")
    # ...so the first commit's alert, still firing, is owed and posted at the next run.
    run(db, T0 + dt.timedelta(hours=2, minutes=30), "r3")
    run(db, T0 + dt.timedelta(hours=3, minutes=30), "r4")
    delivered = [(str(args["text"]), args["blocks"][0]["text"]["text"])
                 for args, _ in bot_env.posted
                 if "vegas_line_feature_mismatch" in str(args["text"])]
    assert len(delivered) == 2
    assert "bad1c0de" in delivered[0][0] and "bad0c0de" in delivered[1][0]
    assert delivered[1][1] == "CRITICAL #1: commit bad0c0de (open)"
