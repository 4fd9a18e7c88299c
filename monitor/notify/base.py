"""The one interface every notification channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from monitor.notify.body import MessageBody


@dataclass(frozen=True)
class Delivery:
    ok: bool
    ts: str | None = None  # message id, for threads (None when the channel has none)
    channel: str | None = None
    error: str | None = None  # secret-free
    # A failure worth trying again next run (rate limit, 5xx, timeout, no connection).
    # False when the channel refused for good (a missing channel, a revoked token, a
    # message it will never take): the message stops being owed and is reported.
    retryable: bool = True
    code: str | None = None  # the channel's own error code, e.g. "channel_not_found"
    # A permanent failure of this one message (too long, blocks refused) rather than of
    # the channel: other messages still go through.
    this_message_only: bool = False


class Notifier(Protocol):
    name: str
    supports_threads: bool

    def send(self, body: MessageBody, thread_ts: str | None = None,
             key: str | None = None, broadcast: bool = False) -> Delivery:
        """Draw the body in the channel's format and deliver it, or report why not.
        Never raises for delivery failures. `key` identifies the message across runs;
        a channel that can, stamps it on. `broadcast`: a reply in a thread is shown in
        the channel too (a channel without threads ignores it)."""
        ...

    def find(self, key: str, thread_ts: str | None = None) -> Delivery | None:
        """The message stamped with `key`, if an earlier send landed after all (a
        timeout is ambiguous); None when not found or the channel cannot look."""
        ...


@runtime_checkable
class ChartUploader(Protocol):
    """A channel that takes files into a thread (Slack's bot API; not a webhook).
    Declared by the channel's class, so the cycle asks `isinstance`, not `getattr`."""

    def upload_png(self, png: bytes, *, filename: str, title: str, channel: str,
                   thread_ts: str) -> str | None:
        """Upload into the thread; returns an error to report, or None."""
        ...


@runtime_checkable
class MessageUpdater(Protocol):
    """A channel whose messages can be rewritten (Slack's chat.update; not a webhook):
    an incident's top-level message is kept current."""

    def replace(self, body: MessageBody, *, channel: str, ts: str) -> Delivery:
        """Replace the message at (channel, ts) with the body; never raises."""
        ...
