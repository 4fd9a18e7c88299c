"""Slack through slack-sdk: the Web API (bot token + channel) or an incoming webhook.

Thin senders: the message body is built elsewhere (monitor/notify/message.py) and
drawn as Block Kit by monitor/notify/formats/block_kit.py. Neither raises on a
delivery failure; both report a secret-free error instead, and whether it is worth
trying again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from monitor.notify.base import ChartUploader, Delivery
from monitor.notify.body import MessageBody
from monitor.notify.formats.block_kit import block_kit
from monitor.secrets import Secret, redact

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER_SECONDS = 30.0
# Slack message metadata: every alert message carries its key, so a run can find a
# message an earlier run sent but never heard back about (needs channels:history).
METADATA_EVENT = "prediction_monitor_alert"
HISTORY_LIMIT = 200
# Errors that sending again cannot fix: the channel, the app or its token is gone…
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth",
    "token_revoked", "account_inactive", "not_authed", "missing_scope",
    # …and the incoming webhook's words for the same (HTTP 403, 404, 410).
    "channel_is_archived", "invalid_token", "no_service", "no_active_hooks",
    "action_prohibited"})
# …or Slack will never take this one message (the next one may go through).
# chat.update's refusals of one message (deleted, too old to edit, not the app's own).
MESSAGE_ERRORS = frozenset({"invalid_blocks", "msg_too_long", "invalid_payload",
                            "message_not_found", "cant_update_message",
                            "edit_window_closed"})


def is_permanent(code: str | None) -> bool:
    return code in PERMANENT_ERRORS or code in MESSAGE_ERRORS


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Honours Retry-After while the waits of one message stay within `max_wait`
    seconds. Past that the 429 stands: the message stays owed for the next run
    instead of holding this one for minutes."""

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.waited = 0.0

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response,
                                  error=error) or response is None:
            return False
        wait = retry_after(response)
        if self.waited + wait > self.max_wait:
            return False
        self.waited += wait + 1  # the handler adds up to a second of jitter
        return True


def retry_after(response: HttpResponse) -> float:
    for key, values in response.headers.items():
        if key.lower() == "retry-after":
            try:
                return float(values[0])
            except (ValueError, IndexError):
                break
    return 1.0


def retry_handlers(max_retry_after: float = MAX_RETRY_AFTER_SECONDS) -> list[Any]:
    # slack-sdk retries only connection errors by default; 429 (honouring
    # Retry-After, capped) and 5xx need their handlers added explicitly.
    return [ConnectionErrorRetryHandler(max_retry_count=1),
            CappedRateLimitRetryHandler(max_retry_count=2, max_wait=max_retry_after),
            ServerErrorRetryHandler(max_retry_count=2)]


def _reset_waits(handlers: list[Any]) -> None:
    """The Retry-After budget is per message."""
    for handler in handlers:
        if isinstance(handler, CappedRateLimitRetryHandler):
            handler.waited = 0.0


def _failed(exc: Exception) -> Delivery:
    """A failed Web API call as a Delivery: Slack's own error code decides whether it
    is worth trying again; a connection error always is."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        error = exc.response.get("error") if exc.response is not None else None
        code = str(error) if error else None
        return Delivery(False, error=redact(f"Slack API error {error} (HTTP {status})"),
                        retryable=not is_permanent(code), code=code,
                        this_message_only=code in MESSAGE_ERRORS)
    return Delivery(False, error=redact(f"Slack unreachable: {type(exc).__name__}: {exc}"))


class SlackNotifier(ChartUploader):
    name = "slack"
    supports_threads = True

    def __init__(self, client: WebClient, channel: str) -> None:
        self.client = client
        self.channel = channel
        self.channel_id: str | None = None  # learnt from the first delivery

    @classmethod
    def from_token(cls, token: Secret, channel: str, base_url: str | None = None, *,
                   max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
                   timeout: float = TIMEOUT_SECONDS) -> SlackNotifier:
        kwargs: dict[str, Any] = {}
        if base_url:
            kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        client = WebClient(token=token.reveal(), timeout=int(timeout),
                           retry_handlers=retry_handlers(max_retry_after), **kwargs)
        return cls(client, channel)

    def find(self, key: str, thread_ts: str | None = None) -> Delivery | None:
        """Look for the message stamped with `key` in the channel's recent history (or
        the thread's replies): a send that timed out may have been posted."""
        channel = self.channel_id or self.channel
        try:
            if thread_ts:
                response = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True,
                    limit=HISTORY_LIMIT)
            else:
                response = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT)
        except Exception as exc:  # noqa: BLE001 - cannot look: the caller re-sends
            log.warning("%s", redact(f"Slack history lookup failed, re-sending: "
                                     f"{type(exc).__name__}: {exc}"))
            return None
        for found in response.get("messages") or []:
            meta = found.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and \
                    (meta.get("event_payload") or {}).get("key") == key:
                return Delivery(True, ts=found.get("ts"),
                                channel=response.get("channel") or channel)
        return None

    def send(self, body: MessageBody, thread_ts: str | None = None,
             key: str | None = None, broadcast: bool = False) -> Delivery:
        _reset_waits(self.client.retry_handlers)
        message = block_kit(body)
        metadata = ({"event_type": METADATA_EVENT, "event_payload": {"key": key}}
                    if key else None)
        extra: dict[str, Any] = {"reply_broadcast": True} if broadcast and thread_ts else {}
        try:
            response = self.client.chat_postMessage(
                channel=self.channel, text=message.text, blocks=message.blocks,
                thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                metadata=metadata, **extra)
        except Exception as exc:  # noqa: BLE001 - Slack's errors and connection errors
            return _failed(exc)
        self.channel_id = response.get("channel") or self.channel_id
        return Delivery(True, ts=response.get("ts"), channel=response.get("channel"))

    def replace(self, body: MessageBody, *, channel: str, ts: str) -> Delivery:
        """chat.update of an incident's top-level message: it says what is true now."""
        _reset_waits(self.client.retry_handlers)
        message = block_kit(body)
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message.text,
                                    blocks=message.blocks)
        except Exception as exc:  # noqa: BLE001
            return _failed(exc)
        return Delivery(True, ts=ts, channel=channel)


    def update(self, channel: str, ts: str, text: str,
               blocks: list[dict[str, Any]]) -> str | None:
        """chat.update of a message this app posted; returns an error, or None."""
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except Exception as exc:  # noqa: BLE001 - the action is recorded already
            return redact(f"chat.update failed: {type(exc).__name__}: {exc}")
        return None

    def usergroup_members(self, usergroup: str) -> set[str]:
        """The user ids of a Slack user group (needs usergroups:read)."""
        response = self.client.usergroups_users_list(usergroup=usergroup)
        return set(response.get("users") or [])

    def upload_png(self, png: bytes, *, filename: str, title: str, channel: str,
                   thread_ts: str) -> str | None:
        """files_upload_v2 into the alert's thread; returns an error, or None."""
        try:
            self.client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png,
                                        filename=filename, title=title)
        except Exception as exc:  # noqa: BLE001 - a chart never blocks its alert
            return redact(f"chart upload failed: {type(exc).__name__}: {exc}")
        return None


class SlackWebhookNotifier:
    """Incoming webhooks return no message id, so there are no threads: a
    resolution is posted as a message of its own."""

    name = "slack-webhook"
    supports_threads = False

    def __init__(self, client: WebhookClient) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: Secret, *,
                 max_retry_after: float = MAX_RETRY_AFTER_SECONDS) -> SlackWebhookNotifier:
        return cls(WebhookClient(url.reveal(), timeout=TIMEOUT_SECONDS,
                                 retry_handlers=retry_handlers(max_retry_after)))

    def find(self, key: str, thread_ts: str | None = None) -> Delivery | None:
        # A webhook cannot read the channel: after an ambiguous failure (a timeout
        # after Slack took the message) the next run sends it again.
        return None

    def send(self, body: MessageBody, thread_ts: str | None = None,
             key: str | None = None, broadcast: bool = False) -> Delivery:
        _reset_waits(self.client.retry_handlers)
        message = block_kit(body)
        try:
            response = self.client.send(text=message.text, blocks=message.blocks,
                                        unfurl_links=False, unfurl_media=False)
        except Exception as exc:  # noqa: BLE001
            return Delivery(False, error=redact(f"Slack webhook unreachable: "
                                                f"{type(exc).__name__}: {exc}"))
        # WebhookClient never raises on HTTP errors: the status is the only signal.
        if response.status_code != 200:
            answer = redact(str(response.body))[:200]
            # 4xx with one of Slack's error words: refused for good; 429/5xx: try again.
            code = answer.strip() if 400 <= response.status_code < 500 else None
            return Delivery(False, error=f"Slack webhook HTTP {response.status_code}: {answer}",
                            retryable=not is_permanent(code), code=code,
                            this_message_only=code in MESSAGE_ERRORS)
        return Delivery(True)
