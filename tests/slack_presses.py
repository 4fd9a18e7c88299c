"""A Slack client for the app on `serve`: signed requests over real HTTP, button
presses as Slack sends them, and `serve`'s routes on 127.0.0.1 with the clock in the
test's hands. Shared by the Slack app's tests."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from monitor.app import App
from monitor.commands.serve_command import serve_routes
from monitor.config import MonitorConfig
from monitor.metrics.prometheus import PrometheusExporter
from monitor.notify.slack import SlackNotifier
from monitor.routes import start_server
from monitor.scheduler import Health
from monitor.secrets import Secret
from monitor.slack_app import SlackAppDeps, build_slack_app
from tests.contract import ContractDB
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.slates import T0

SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"  # a test signing secret


class Client:
    """Sends requests as Slack does, signed at `now` (or not), over real HTTP."""

    def __init__(self, url: str, now: dt.datetime) -> None:
        self.url = url
        self.now = now

    def post(self, path: str, body: bytes, *, secret: str = SIGNING,
             age: dt.timedelta = dt.timedelta(0), signed: bool = True) -> tuple[int, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            stamp = str(int((self.now - age).timestamp()))
            headers["X-Slack-Request-Timestamp"] = stamp
            headers["X-Slack-Signature"] = str(SignatureVerifier(secret).generate_signature(
                timestamp=stamp, body=body))
        request = urllib.request.Request(self.url + path, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def command(self, text: str, slack: FakeSlack, name: str = "c1",
                **kw: Any) -> tuple[int, str]:
        body = urlencode({"command": "/validate-daily", "text": text, "user_id": "U1",
                          "response_url": slack.response_url(name)}).encode()
        return self.post("/slack/commands", body, **kw)

    def press(self, action_id: str, post: dict[str, Any], ts: str, slack: FakeSlack,
              user: str = "U1", **kw: Any) -> tuple[int, str]:
        """A button press as Slack sends it: block_actions with the message."""
        body = urlencode({"payload": json.dumps(
            press_payload(action_id, post, ts, slack, user, self.now))}).encode()
        return self.post("/slack/interactions", body, **kw)


def press_payload(action_id: str, post: dict[str, Any], ts: str, slack: FakeSlack, user: str,
                  now: dt.datetime) -> dict[str, Any]:
    blocks = post["blocks"]
    value = next(e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"])
    return {"type": "block_actions", "user": {"id": user, "username": "someone"},
            "trigger_id": f"t-{action_id}-{now.timestamp()}-{user}",
            "container": {"type": "message", "message_ts": ts, "channel_id": "C0ALERTS"},
            "channel": {"id": "C0ALERTS"}, "response_url": slack.response_url("i"),
            "message": {"ts": ts, "text": post["text"], "blocks": blocks},
            "actions": [{"action_id": action_id, "block_id": "alert_actions",
                         "value": value, "type": "button",
                         "action_ts": f"{now.timestamp():.6f}"}]}


class Served(Client):
    """`serve`'s routes on 127.0.0.1 with the Slack app, its clock in the test's hands."""

    def __init__(self, app: SlackAppDeps) -> None:
        self.app = app
        app.clock = lambda: self.now
        routes = serve_routes(Health(), PrometheusExporter(), lambda day: "", app)
        self.server = start_server(routes, 0, host="127.0.0.1")
        super().__init__(f"http://127.0.0.1:{self.server.server_address[1]}", T0)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def notifier(slack: FakeSlack) -> SlackNotifier:
    return SlackNotifier.from_token(Secret(TOKEN), "#prediction-alerts", slack.base_url)


def app_on(path: Path, config: MonitorConfig) -> App:
    return App(config, {}, f"duckdb:///{path}")


def served_for(db: ContractDB, slack: FakeSlack, config: MonitorConfig) -> Served:
    return Served(build_slack_app(app_on(db.path, config), Secret(SIGNING), notifier(slack)))
