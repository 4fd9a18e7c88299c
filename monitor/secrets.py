"""Secrets that cannot print: their repr and str are `<secret>`, and every log
record and error message passes through `redact`."""

from __future__ import annotations

import json
import logging
import re
import threading
from urllib.parse import urlsplit

_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            with _lock:
                _known.update(_printed_forms(value))

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


# The password of any URL (scheme://user:password@host): not registered anywhere,
# so it is recognised by its place.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@'\"]*:)"
                           r"(?P<password>[^\s/@'\"]+)@")


def _printed_forms(value: str) -> set[str]:
    """How a secret can show up in a message: as is, and as the escaped text of a
    Python repr (str or bytes: `Invalid header value b'Bearer xoxb-...\\r\\n'`) or of
    JSON (a structured log line), which spell CR/LF and other characters apart. A
    webhook's path is the secret part of it and is echoed alone (`InvalidURL`)."""
    forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1],
             repr(value.encode("utf-8", "backslashreplace"))[2:-1]}
    if "://" in value:
        path = urlsplit(value.strip()).path
        if len(path) > 8:
            forms |= {path, repr(path)[1:-1], json.dumps(path)[1:-1]}
    # A fragment on either side of a control character is still the secret.
    forms |= {part for part in re.split(r"[\x00-\x20\x7f]+", value) if len(part) >= 8}
    return {f for f in forms if f}


def redact(text: str) -> str:
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "<secret>")
    return _URL_PASSWORD.sub(r"\g<head><secret>@", text)


class RedactingFilter(logging.Filter):
    """Installed on every handler: a secret in any log line becomes `<secret>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Always: URL passwords are redacted even when no secret is registered.
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
