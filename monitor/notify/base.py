"""The one interface every notification channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from monitor.notify.message import SlackMessage


@dataclass(frozen=True)
class Delivery:
    ok: bool
    ts: str | None = None  # message id, for threads (None when the channel has none)
    channel: str | None = None
    error: str | None = None  # secret-free


class Notifier(Protocol):
    name: str
    supports_threads: bool

    def send(self, message: SlackMessage, thread_ts: str | None = None,
             key: str | None = None) -> Delivery:
        """Deliver or report why not. Never raises for delivery failures. `key`
        identifies the message across runs; a channel that can, stamps it on."""
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
