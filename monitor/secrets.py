"""Secrets that cannot print: their repr and str are `<secret>`, and every log
record and error message passes through `redact`."""

from __future__ import annotations

import logging
import threading

_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            with _lock:
                _known.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str) -> str:
    for value in sorted(_known, key=len, reverse=True):
        if value and value in text:
            text = text.replace(value, "<secret>")
    return text


class RedactingFilter(logging.Filter):
    """Installed on every handler: a secret in any log line becomes `<secret>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _known:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True
