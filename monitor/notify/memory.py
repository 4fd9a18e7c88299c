"""A channel that keeps messages in memory: backtests send nothing anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.notify.base import Delivery
from monitor.notify.body import MessageBody


@dataclass
class MemoryNotifier:
    name: str = "memory"
    supports_threads: bool = True
    messages: list[tuple[MessageBody, str | None]] = field(default_factory=list)
    updates: list[tuple[MessageBody, str]] = field(default_factory=list)

    def send(self, body: MessageBody, thread_ts: str | None = None,
             key: str | None = None, broadcast: bool = False) -> Delivery:
        self.messages.append((body, thread_ts))
        return Delivery(True, ts=f"memory.{len(self.messages):06d}", channel="memory")

    def replace(self, body: MessageBody, *, channel: str, ts: str) -> Delivery:
        self.updates.append((body, ts))
        return Delivery(True, ts=ts, channel=channel)

    def find(self, key: str, thread_ts: str | None = None) -> Delivery | None:
        return None  # sends never fail
