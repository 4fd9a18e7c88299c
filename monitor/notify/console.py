"""When no Slack is configured: print what Slack would get."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from monitor.notify.base import Delivery
from monitor.notify.body import MessageBody
from monitor.notify.formats.text import text


class ConsoleNotifier:
    name = "console"
    supports_threads = True

    def __init__(self, stream: TextIO | None = None,
                 logger: logging.Logger | None = None) -> None:
        # With a logger (on Cloud Run) every message is a structured log entry.
        self.stream = stream or sys.stdout
        self.logger = logger
        self._count = 0

    def find(self, key: str, thread_ts: str | None = None) -> Delivery | None:
        return None  # printing never fails

    def send(self, body: MessageBody, thread_ts: str | None = None,
             key: str | None = None, broadcast: bool = False) -> Delivery:
        self._count += 1
        ts = f"console.{self._count:06d}"
        prefix = f"[slack reply in thread {thread_ts}]" if thread_ts else "[slack message]"
        if broadcast:
            prefix = prefix[:-1] + ", also sent to the channel]"
        if self.logger:
            self.logger.warning("%s\n%s", prefix, text(body))
        else:
            self.stream.write(f"{prefix}\n{text(body)}\n\n")
        return Delivery(True, ts=ts, channel="console")
