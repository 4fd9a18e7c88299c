"""The Slack app on `serve`: `POST /slack/commands` (the `/validate-daily` slash
command) and `POST /slack/interactions` (the buttons of incident and alert messages:
acknowledge, silence, unsilence; block and unblock an incident's commit).

Every request is verified with the app's signing secret (slack-sdk's
SignatureVerifier) before anything else: a missing or bad signature, or a timestamp
more than 5 minutes away, is a 401 and nothing runs. Routes are plain functions of a
Request (monitor/routes.py); what they reach — the warehouse, Slack's Web API, a
response_url — comes in as callables, built once by `build_slack_app` from `serve`'s
App. A signed payload that is not what Slack sends is a 400 naming the field, checked
whole before anything is recorded; a press replayed within the signature's 5 minutes
(same user, message and action time) is recorded once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, assert_never
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from monitor.config import SlackApp
from monitor.notify.body import BUTTONS
from monitor.notify.formats.block_kit import acted_blocks, escape
from monitor.routes import Request, Response, Route, Routes, game_day
from monitor.rules.blocks import CommitBlock, block_event, blocks_of, commit_text
from monitor.rules.incidents import Incident, fold_incidents, incident_event
from monitor.rules.state import (
    ACTIONS,
    AlertEvent,
    BlockEventType,
    EventType,
    action_events,
    fold,
)
from monitor.rules.state import Action as ActionEvent
from monitor.rules.store import AlertStore
from monitor.secrets import Secret, redact
from monitor.validate import DailyReport

if TYPE_CHECKING:
    from monitor.app import App

log = logging.getLogger(__name__)

SILENCE_FOR = dt.timedelta(hours=24)  # the "Silence 24 h" button
INCIDENT_VALUE = "incident:"  # a button of an incident's message: `incident:<id>`
_NOTHING_FOR_ALERTS = ("Nothing to do: these alerts are resolved, already acknowledged, or "
                       "not silenced from Slack.")
USAGE = ("usage: `/validate-daily [YYYY-MM-DD|help]` — every check for one game date "
         "(default: yesterday, US/Eastern)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def as_action(kind: str) -> ActionEvent | None:
    """The alert action a button writes; None for a commit's block or unblock."""
    return next((a for a in ACTIONS if a == kind), None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# /validate-daily's checks, after the answer: two at a time, the others wait their turn
# (40 commands at once are 40 answers at once, never 40 warehouse sessions at once).
_JOBS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack-job")


def _in_background(job: Callable[[], None]) -> None:
    _JOBS.submit(job)


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
    recording: threading.Lock = field(default_factory=threading.Lock)

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
            parsed = game_day(text)
            if parsed is None:
                return ephemeral(f"not a date: `{escape(text[:40])}` — {USAGE}")
            day = parsed
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


class BadPayload(ValueError):
    """A signed interaction payload that is not what Slack sends: the answer is a 400
    naming the field, and nothing is recorded."""

    def __init__(self, name: str, expected: str) -> None:
        super().__init__(f"malformed interaction payload: {name} {expected}")
        self.field = name


@dataclass(frozen=True)
class Press:
    """A button press of an incident's or an alert's message, every field checked
    (block_actions)."""

    user: str
    action_id: str
    value: str
    action_ts: str
    message_ts: str
    channel: str
    response_url: str
    text: str
    blocks: list[dict[str, Any]]

    @property
    def key(self) -> str:
        """What makes a press one press: Slack sends a replayed or retried request
        with the same user, message and action time."""
        return f"{self.user}|{self.message_ts}|{self.action_ts}"


def _field(obj: dict[str, Any], key: str, name: str, kind: type, *,
           required: bool = False) -> Any:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is str and required and not value):
        names: dict[type, str] = {str: "a non-empty string" if required else "a string",
                                  dict: "an object", list: "a list"}
        what = names[kind]
        raise BadPayload(name, f"is not {what}" if key in obj else "is missing")
    return value


def parse_press(body: bytes) -> Press | None:
    """The press in a signed interactions request; None for an interaction that is not
    a press of one of the alert buttons (answered 200, nothing done). Raises
    BadPayload."""
    raw = _form(body).get("payload")
    if raw is None:
        raise BadPayload("payload", "is missing")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
        raise BadPayload("payload", "is not JSON") from None
    if not isinstance(payload, dict):
        raise BadPayload("payload", "is not an object")
    if _field(payload, "type", "type", str, required=True) != "block_actions":
        return None
    user = _field(_field(payload, "user", "user", dict, required=True), "id", "user.id", str,
                  required=True)
    actions = _field(payload, "actions", "actions", list, required=True)
    if not actions:
        raise BadPayload("actions", "is empty")
    if not isinstance(actions[0], dict):
        raise BadPayload("actions[0]", "is not an object")
    action = actions[0]
    action_id = _field(action, "action_id", "actions[0].action_id", str, required=True)
    if action_id not in BUTTONS:
        return None
    value = _field(action, "value", "actions[0].value", str) or ""
    action_ts = _field(action, "action_ts", "actions[0].action_ts", str, required=True)
    container = _field(payload, "container", "container", dict) or {}
    channel = _field(payload, "channel", "channel", dict) or {}
    message = _field(payload, "message", "message", dict) or {}
    message_ts = (_field(container, "message_ts", "container.message_ts", str)
                  or _field(message, "ts", "message.ts", str))
    if not message_ts:
        raise BadPayload("container.message_ts", "is missing")
    blocks = _field(message, "blocks", "message.blocks", list) or []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise BadPayload(f"message.blocks[{i}]", "is not an object")
    return Press(
        user=user, action_id=action_id, value=value, action_ts=action_ts,
        message_ts=message_ts,
        channel=(_field(container, "channel_id", "container.channel_id", str)
                 or _field(channel, "id", "channel.id", str) or ""),
        response_url=_field(payload, "response_url", "response_url", str) or "",
        text=_field(message, "text", "message.text", str) or "alert", blocks=blocks)


def interactions_route(app: SlackAppDeps) -> Route:
    """The buttons of incident and alert messages: each press is events in the alert log
    (the Slack user as actor), then the message is updated through chat.update. The
    whole payload is checked before anything is recorded."""

    def route(request: Request) -> Response:
        if not app.verified(request):
            return _refused()
        try:
            press = parse_press(request.body)
        except BadPayload as exc:
            log.warning("%s", exc)
            return Response.text(400, str(exc))
        if press is None:
            return Response(200, b"")

        def tell(text: str) -> Callable[[], None]:
            return lambda: app.respond(press.response_url, {
                "response_type": "ephemeral", "replace_original": False, "text": text})

        if not app.allowed(press.user):
            log.info("%s refused to %s: not allowed", press.user, press.action_id)
            return Response(200, b"", after=tell(
                ":no_entry: You are not allowed to acknowledge, silence or block from these "
                "messages (slack_app in alerts.yaml); nothing changed."))
        return _act(app, press, tell)

    return route


def _act(app: SlackAppDeps, press: Press, tell: Callable[[str], Callable[[], None]]) -> (
        Response):
    if press.value.startswith(INCIDENT_VALUE):
        return _act_on_incident(app, press, tell, press.value.removeprefix(INCIDENT_VALUE))
    kind = as_action(BUTTONS[press.action_id][1])
    if kind is None:  # a commit's button names an incident, never alerts
        return Response(200, b"", after=tell(_NOTHING_FOR_ALERTS))
    fingerprints = set(filter(None, press.value.split(",")))
    now = app.clock()
    # Built before anything is recorded: what cannot be shown is not done either.
    blocks = acted_blocks(press.blocks, kind, user=press.user, at=now, value=press.value,
                          until=now + SILENCE_FOR)

    def choose(loaded: list[AlertEvent], store: AlertStore, run_id: str) -> list[AlertEvent]:
        states = fold(loaded)
        # The alerts the message lists: by the button's value, and by the message
        # itself for lists longer than a value holds.
        chosen = [st for fp, st in sorted(states.items())
                  if fp in fingerprints or st.slack_ts == press.message_ts]
        return action_events(chosen, kind, now=now, run_id=run_id, actor=press.user,
                             silence_for=SILENCE_FOR, key=press.key)

    events = _record_press(app, press, kind, now, tell, choose)
    if isinstance(events, Response):
        return events
    if not events:
        return Response(200, b"", after=tell(_NOTHING_FOR_ALERTS))
    log.info("%s by %s: %d alert(s)", kind, press.user, len(events))
    return Response(200, b"", after=_updater(app, press, blocks))


def _record_press(app: SlackAppDeps, press: Press, kind: str, now: dt.datetime,
                  tell: Callable[[str], Callable[[], None]],
                  choose: Callable[[list[AlertEvent], AlertStore, str], list[AlertEvent]]) -> (
        list[AlertEvent] | Response):
    """The events `choose` decides from the alert log, appended once: one press at a
    time (a replay that arrives while the first is recorded must find it), a replayed
    press (same run id) recorded never twice. A failure is told to the presser."""
    run_id = f"slack:{press.key}"
    try:
        with app.recording, app.open_store() as store:
            loaded = store.load(now)
            if any(e.run_id == run_id for e in loaded):
                log.info("%s by %s at %s already recorded: a replayed request", kind,
                         press.user, press.action_ts)
                return Response(200, b"")
            events = choose(loaded, store, run_id)
            seen = {e.event_id for e in loaded}
            store.append([e for e in events if e.event_id not in seen])
    except Exception as exc:  # noqa: BLE001 - the presser hears of it
        error = redact(f"{type(exc).__name__}: {exc}")[:300]
        log.warning("%s by %s not recorded: %s", kind, press.user, error)
        return Response(200, b"", after=tell(f":boom: not recorded: {escape(error)}"))
    return events


def _updater(app: SlackAppDeps, press: Press, blocks: list[dict[str, Any]]) -> (
        Callable[[], None]):
    """The pressed message shown anew, after the answer: chat.update, else (no bot
    token, a webhook setup) its response_url."""

    def update() -> None:
        if app.update is not None and press.channel:
            error = app.update(press.channel, press.message_ts, press.text, blocks)
            if error:
                log.warning("%s", error)
        elif press.response_url:
            app.respond(press.response_url, {
                "replace_original": True, "text": press.text, "blocks": blocks})

    return update


@dataclass(frozen=True)
class Decision:
    """What a press on an incident's message writes, and the message after it; or, with
    no events, why there is nothing to do."""

    events: list[AlertEvent]
    blocks: list[dict[str, Any]]
    nothing: str = ""


def _act_on_incident(app: SlackAppDeps, press: Press,
                     tell: Callable[[str], Callable[[], None]], incident_id: str) -> Response:
    """A button of an incident's message (value `incident:<id>`): incident-level events
    (acknowledged, silence, unsilence) or the block of the incident's commit, with the
    Slack user as actor. Replays and validation as for alerts: nothing is recorded that
    cannot be shown."""
    kind = BUTTONS[press.action_id][1]
    now = app.clock()
    inc: Incident | None = None
    decided = Decision([], [])

    def choose(loaded: list[AlertEvent], store: AlertStore, run_id: str) -> list[AlertEvent]:
        nonlocal inc, decided
        inc = fold_incidents(loaded).get(incident_id)
        decided = decide(inc, kind, press, now=now, run_id=run_id,
                         blocks=store.load_blocks(now))
        return decided.events

    recorded = _record_press(app, press, kind, now, tell, choose)
    if isinstance(recorded, Response):
        return recorded
    if not decided.events:
        return Response(200, b"", after=tell(decided.nothing))
    assert inc is not None  # events are only decided for an incident
    log.info("%s by %s: incident #%d (%s)", kind, press.user, inc.number, inc.key)
    return Response(200, b"", after=_updater(app, press, decided.blocks))


def incident_commit(inc: Incident) -> str | None:
    """The commit an incident is about (its key `commit:<sha>`); None for other keys."""
    if not inc.key.startswith("commit:"):
        return None
    try:
        return commit_text(inc.key.removeprefix("commit:"))
    except ValueError:  # names no commit that could be blocked
        return None


def decide(inc: Incident | None, kind: ActionEvent | BlockEventType, press: Press, *,
           now: dt.datetime, run_id: str, blocks: Mapping[str, CommitBlock]) -> Decision:
    """The events a press on an incident's message writes (pure). `blocks`: the commit
    blocks in force."""
    if inc is None or not inc.open:
        return Decision([], [], "Nothing to do: this incident is resolved (or unknown to "
                                "the monitor).")
    commit = incident_commit(inc)
    in_force = blocks_of(blocks, commit) if commit is not None else []
    blocked = bool(in_force)
    events: list[AlertEvent] = []
    nothing = ""
    until = now + SILENCE_FOR

    def about(what: EventType, detail: str | None = None) -> AlertEvent:
        assert inc is not None
        return incident_event(now, run_id, what, inc.incident_id, inc.key, inc.severity,
                              detail=detail, actor=press.user)

    if kind == "acknowledged":
        if inc.acknowledged_by:
            nothing = (f"Nothing to do: incident #{inc.number} is already acknowledged by "
                       f"{escape(inc.acknowledged_by)}.")
        else:
            events = [about("acknowledged")]
    elif kind == "silence":
        events = [about("silence", until.isoformat())]
    elif kind == "unsilence":
        if not inc.silenced(now):
            nothing = f"Nothing to do: incident #{inc.number} is not silenced."
        else:
            events = [about("unsilence")]
    elif commit is None:
        nothing = f"Nothing to do: incident #{inc.number} is not about one commit."
    elif kind == "blocked":
        if in_force:
            b = in_force[0]
            nothing = (f"Nothing to do: commit `{escape(b.commit)}` is already blocked, by "
                       f"{escape(b.blocked_by)} since "
                       f"{b.blocked_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC: "
                       f"{escape(b.reason)}")
        else:
            events = [block_event(now, run_id, commit, actor=press.user,
                                  reason=f"blocked from Slack, incident #{inc.number}")]
    elif kind == "unblocked":
        if not in_force:
            nothing = f"Nothing to do: commit `{escape(commit)}` is not blocked."
        else:
            # Every block in force on it, however the commit was written (a full or an
            # abbreviated sha from the command line).
            events = [block_event(now, run_id, b.commit, actor=press.user, reason="",
                                  blocked=False) for b in in_force]
    else:
        assert_never(kind)
    if not events:
        return Decision([], [], nothing)
    # Built before anything is recorded: what cannot be shown is not done either.
    shown = acted_blocks(press.blocks, kind, user=press.user, at=now, value=press.value,
                         until=until, commit=commit, blocked=blocked)
    return Decision(events, shown)


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


def build_slack_app(app: App, signing_secret: Secret, notifier: object) -> SlackAppDeps:
    """The Slack app from the App of `serve` (its warehouse and alert store, opened per
    request) and the notifier (its bot client updates messages and reads user
    groups)."""
    from monitor.validate import default_date, validate_daily

    def validate(day: dt.date) -> DailyReport:
        warehouse = app.open_warehouse(create=False)
        try:
            return validate_daily(warehouse, app.config, day, _now())
        finally:
            warehouse.close()

    @contextmanager
    def open_store() -> Iterator[AlertStore]:
        warehouse = app.open_warehouse(create=False)
        try:
            yield app.alert_store(warehouse, dry_run=False, as_of=_now())
        finally:
            warehouse.close()

    from monitor.notify.slack import SlackNotifier

    bot = notifier if isinstance(notifier, SlackNotifier) else None
    return SlackAppDeps(
        signing_secret, app.config.slack_app, validate, default_date, open_store,
        post_to_response_url, update=bot.update if bot else None,
        members=bot.usergroup_members if bot else None)
