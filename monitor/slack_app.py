"""The Slack app on `serve`: `POST /slack/commands` (the `/validate-daily` slash
command) and `POST /slack/interactions` (the buttons of alert messages).

Every request is verified with the app's signing secret (slack-sdk's
SignatureVerifier) before anything else: a missing or bad signature, or a timestamp
more than 5 minutes away, is a 401 and nothing runs. Routes are plain functions of a
Request (monitor/routes.py); what they reach — the warehouse, Slack's Web API, a
response_url — comes in as callables, built once by `build_slack_app`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from monitor.config import MonitorConfig, SlackApp
from monitor.notify.message import BUTTONS, acted_blocks, escape
from monitor.routes import Request, Response, Route, Routes
from monitor.rules.state import action_events, fold
from monitor.rules.store import AlertStore, WarehouseAlertStore
from monitor.secrets import Secret, redact
from monitor.validate import DailyReport
from monitor.warehouse.base import Warehouse

log = logging.getLogger(__name__)

SILENCE_FOR = dt.timedelta(hours=24)  # the "Silence 24 h" button
USAGE = ("usage: `/validate-daily [YYYY-MM-DD|help]` — every check for one game date "
         "(default: yesterday, US/Eastern)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _in_background(job: Callable[[], None]) -> None:
    threading.Thread(target=job, daemon=True, name="slack-job").start()


class _Clock(Clock):
    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now().timestamp()


@dataclass
class SlackAppDeps:
    """What the Slack routes reach, as callables (one place builds them)."""

    signing_secret: Secret
    settings: SlackApp
    validate: Callable[[dt.date], DailyReport]
    default_date: Callable[[dt.datetime], dt.date]
    open_store: Callable[[], AbstractContextManager[AlertStore]]
    respond: Callable[[str, dict[str, Any]], None]  # POST to a response_url
    # chat.update (channel, ts, text, blocks) → error or None; None without a bot token
    update: Callable[[str, str, str, list[dict[str, Any]]], str | None] | None = None
    members: Callable[[str], set[str]] | None = None  # a user group's user ids
    clock: Callable[[], dt.datetime] = _now
    background: Callable[[Callable[[], None]], None] = field(default=_in_background)

    def verified(self, request: Request) -> bool:
        verifier = SignatureVerifier(self.signing_secret.reveal(), _Clock(self.clock))
        try:
            return verifier.is_valid_request(request.body, dict(request.headers))
        except (ValueError, TypeError):  # a timestamp that is not a number
            return False

    def allowed(self, user: str) -> bool:
        s = self.settings
        if not s.restricted or user in s.allowed_users:
            return True
        if s.allowed_usergroup and self.members is not None:
            try:
                return user in self.members(s.allowed_usergroup)
            except Exception as exc:  # noqa: BLE001 - cannot tell: refuse
                log.warning("%s", redact(f"user group {s.allowed_usergroup} unreadable: "
                                         f"{type(exc).__name__}: {exc}"))
        return False


def _refused() -> Response:
    return Response.text(401, "invalid or missing Slack signature")


def _form(body: bytes) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def ephemeral(text: str, after: Callable[[], None] | None = None) -> Response:
    body = json.dumps({"response_type": "ephemeral", "text": text}).encode()
    return Response(200, body, "application/json", after=after)


def command_route(app: SlackAppDeps) -> Route:
    """`/validate-daily [DATE|help]`: "validating D…" at once; the verdict, as Block
    Kit, to the command's response_url once the checks ran (they start only after the
    answer is written)."""

    def route(request: Request) -> Response:
        if not app.verified(request):
            return _refused()
        form = _form(request.body)
        text = form.get("text", "").strip()
        if text.lower() in ("help", "-h", "--help"):
            return ephemeral(USAGE)
        if not text:
            day = app.default_date(app.clock())
        elif _DATE.match(text):
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                return ephemeral(f"not a date: `{escape(text[:40])}` — {USAGE}")
        else:
            return ephemeral(f"unknown argument `{escape(text[:40])}` — {USAGE}")
        url = form.get("response_url", "")
        if not url:
            return ephemeral("cannot answer: the request has no response_url")
        user = form.get("user_id", "")
        log.info("/validate-daily %s asked by %s", day.isoformat(), user)
        return ephemeral(f"validating {day.isoformat()}…",
                         after=lambda: app.background(lambda: _validate(app, day, url)))

    return route


def _validate(app: SlackAppDeps, day: dt.date, url: str) -> None:
    from monitor.report.blocks import report_blocks

    try:
        payload: dict[str, Any] = {"response_type": "in_channel",
                                   **report_blocks(app.validate(day))}
    except Exception as exc:  # noqa: BLE001 - the asker hears of it, never silence
        error = redact(f"{type(exc).__name__}: {exc}")[:500]
        log.warning("/validate-daily %s failed: %s", day.isoformat(), error)
        payload = {"response_type": "ephemeral",
                   "text": f":boom: validate-daily {day.isoformat()}: the monitor could not "
                           f"run — {escape(error)}"}
    app.respond(url, payload)


def interactions_route(app: SlackAppDeps) -> Route:
    """The buttons of alert messages: each press is events in the alert log (the Slack
    user as actor), then the message is updated through chat.update."""

    def route(request: Request) -> Response:
        if not app.verified(request):
            return _refused()
        try:
            payload = json.loads(_form(request.body).get("payload", ""))
            user = str(payload["user"]["id"])
            action = payload["actions"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            return Response.text(400, "not a block_actions payload")
        action_id = str(action.get("action_id", ""))
        if payload.get("type") != "block_actions" or action_id not in BUTTONS:
            return Response(200, b"")
        url = str(payload.get("response_url") or "")

        def tell(text: str) -> Callable[[], None]:
            return lambda: app.respond(url, {"response_type": "ephemeral",
                                             "replace_original": False, "text": text})

        if not app.allowed(user):
            log.info("%s refused to %s: not allowed", user, action_id)
            return Response(200, b"", after=tell(
                ":no_entry: You are not allowed to acknowledge or silence these alerts "
                "(slack_app in alerts.yaml); nothing changed."))
        return _act(app, payload, user, action_id, str(action.get("value") or ""), tell)

    return route


def _act(app: SlackAppDeps, payload: dict[str, Any], user: str, action_id: str, value: str,
         tell: Callable[[str], Callable[[], None]]) -> Response:
    kind = BUTTONS[action_id][1]
    container = payload.get("container") or {}
    channel = str(container.get("channel_id") or (payload.get("channel") or {}).get("id") or "")
    ts = str(container.get("message_ts") or "")
    fingerprints = set(filter(None, value.split(",")))
    now = app.clock()
    try:
        with app.open_store() as store:
            states = fold(store.load(now))
            # The alerts the message lists: by the button's value, and by the message
            # itself for lists longer than a value holds.
            chosen = [st for fp, st in sorted(states.items())
                      if fp in fingerprints or (ts and st.slack_ts == ts)]
            run_id = f"slack:{payload.get('trigger_id') or now.isoformat()}"
            events = action_events(chosen, kind, now=now, run_id=run_id, actor=user,
                                   silence_for=SILENCE_FOR)
            store.append(events)
    except Exception as exc:  # noqa: BLE001 - the presser hears of it
        error = redact(f"{type(exc).__name__}: {exc}")[:300]
        log.warning("%s by %s not recorded: %s", kind, user, error)
        return Response(200, b"", after=tell(f":boom: not recorded: {escape(error)}"))
    if not events:
        return Response(200, b"", after=tell(
            "Nothing to do: these alerts are resolved, already acknowledged, or not "
            "silenced from Slack."))
    log.info("%s by %s: %d alert(s)", kind, user, len(events))
    blocks = acted_blocks((payload.get("message") or {}).get("blocks") or [], kind, user=user,
                          at=now, value=value, until=now + SILENCE_FOR)
    text = str((payload.get("message") or {}).get("text") or "alert")

    def update() -> None:
        if app.update is not None and channel and ts:
            error = app.update(channel, ts, text, blocks)
            if error:
                log.warning("%s", error)
        elif payload.get("response_url"):
            # No bot token (a webhook setup): the response_url replaces the message.
            app.respond(str(payload["response_url"]), {
                "replace_original": True, "text": text, "blocks": blocks})

    return Response(200, b"", after=update)


def slack_routes(app: SlackAppDeps) -> Routes:
    return {("POST", "/slack/commands"): command_route(app),
            ("POST", "/slack/interactions"): interactions_route(app)}


def post_to_response_url(url: str, payload: dict[str, Any]) -> None:
    """A slash command's or an interaction's response_url, through slack-sdk."""
    from slack_sdk.webhook import WebhookClient

    from monitor.notify.slack import TIMEOUT_SECONDS

    # A response_url lets anyone post into the channel for 30 minutes, like a webhook:
    # neither its text nor an error that quotes it is logged (slack-sdk's own logger
    # would print the failing URL, so the client gets one that says nothing).
    quiet = logging.getLogger("monitor.slack_app.response_url")
    quiet.propagate, quiet.disabled = False, True
    try:
        response = WebhookClient(url, timeout=TIMEOUT_SECONDS, logger=quiet).send_dict(payload)
    except Exception as exc:  # noqa: BLE001 - logged; nothing else to tell
        log.warning("response_url unreachable: %s", type(exc).__name__)
        return
    if response.status_code != 200:
        log.warning("response_url answered HTTP %d", response.status_code)


def build_slack_app(signing_secret: Secret, config: MonitorConfig,
                    connect: Callable[[], Warehouse], notifier: object) -> SlackAppDeps:
    """The Slack app from its parts: `connect` opens a warehouse (one per request; the
    composition root makes it), the notifier (its bot client updates messages and
    reads user groups)."""
    from monitor.validate import default_date, validate_daily

    def validate(day: dt.date) -> DailyReport:
        warehouse = connect()
        try:
            return validate_daily(warehouse, config, day, _now())
        finally:
            warehouse.close()

    @contextmanager
    def open_store() -> Iterator[AlertStore]:
        warehouse = connect()
        try:
            yield WarehouseAlertStore(warehouse)
        finally:
            warehouse.close()

    from monitor.notify.slack import SlackNotifier

    bot = notifier if isinstance(notifier, SlackNotifier) else None
    return SlackAppDeps(
        signing_secret, config.slack_app, validate, default_date, open_store,
        post_to_response_url, update=bot.update if bot else None,
        members=bot.usergroup_members if bot else None)
