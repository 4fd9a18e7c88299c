"""Logging: Cloud Logging's structured JSON on Cloud Run, readable text locally.
Every handler redacts secrets; the local one also escapes control characters, since
log lines carry commits, systems and errors from the data (JSON escapes its own)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

from monitor.runtime import on_cloud_run
from monitor.secrets import RedactingFilter, redact

EXTRA_FIELDS = ("run_id", "check", "rule")
SEVERITY = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARNING", "ERROR": "ERROR",
            "CRITICAL": "CRITICAL"}


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object a line, with `severity` and `message` as Cloud Logging reads them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": SEVERITY.get(record.levelname, "DEFAULT"),
            "message": record.getMessage(),
            "logger": record.name,
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + "Z",
        }
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["message"] += "\n" + self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


class TerminalFormatter(logging.Formatter):
    """The local text line, control characters shown escaped (`\\x1b`): an ESC, OSC or
    BEL from the data must not drive the reader's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        from monitor.report.format import terminal_safe

        return terminal_safe(super().format(record))


class MonitorHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging installs: a second call replaces it."""


def configure_logging(env: Mapping[str, str], level: str = "INFO") -> None:
    handler = MonitorHandler(sys.stdout if on_cloud_run(env) else sys.stderr)
    if on_cloud_run(env):
        handler.setFormatter(CloudLoggingFormatter())
    else:
        handler.setFormatter(TerminalFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, MonitorHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Client libraries log request details at DEBUG; keep them quiet.
    for noisy in ("slack_sdk", "urllib3", "google", "grpc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
