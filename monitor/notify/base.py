"""The one interface every notification channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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
