"""The batch message: what the execution-log writer publishes and what a Pub/Sub push
delivers to `POST /events/batch`. Pure: building the data from an execution-log row,
and reading a push envelope back (every way it can be malformed is a `BadPush`).

Push envelope (Pub/Sub's standard push format):

    {"message": {"data": "<base64 JSON>", "messageId": "...", "attributes": {...}},
     "subscription": "projects/P/subscriptions/S"}

The data is a JSON object with the execution-log row's keys: `execution_id` always,
`batch_id`, `system_id`, `game_date`, `build_commit_sha`, `status`,
`feature_source_mode`, `execution_end_timestamp` when the publisher has them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.model import json_value

# The row's keys a message carries (the rest of the row stays in the warehouse).
EVENT_KEYS = ("execution_id", "batch_id", "system_id", "game_date", "build_commit_sha",
              "status", "feature_source_mode", "execution_end_timestamp")
# Also attributes, so a subscription can filter without decoding the data.
ATTRIBUTE_KEYS = ("execution_id", "system_id", "game_date", "status")
_TEXT_LIMIT = 200  # any id longer than this is not an id
_RUN_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class BadPush(ValueError):
    """A push that can never be processed (malformed envelope or data): a 400."""


@dataclass(frozen=True)
class BatchEvent:
    execution_id: str
    message_id: str
    batch_id: str | None = None
    system_id: str | None = None
    game_date: dt.date | None = None
    build_commit_sha: str | None = None
    status: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """One run per message: a redelivery is the same run (like a retried job
        task), so it neither counts twice towards resolving an alert nor notifies twice."""
        return "event-" + _RUN_ID_UNSAFE.sub("_", self.message_id)[:100]

    def describe(self) -> str:
        parts = [f"execution {self.execution_id}"]
        parts += [f"{k} {v}" for k, v in (("system", self.system_id),
                                          ("game date", self.game_date),
                                          ("commit", self.build_commit_sha)) if v]
        return ", ".join(parts)



def event_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """The message data of an execution-log row: its EVENT_KEYS that are present."""
    return {k: json_value(row[k]) for k in EVENT_KEYS if row.get(k) is not None}


def event_bytes(row: Mapping[str, Any]) -> bytes:
    return json.dumps(event_data(row), sort_keys=True).encode()


def event_attributes(row: Mapping[str, Any]) -> dict[str, str]:
    data = event_data(row)
    return {k: str(data[k]) for k in ATTRIBUTE_KEYS if k in data}


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise BadPush(f"message data has no {key}")
        return None
    if not isinstance(value, str):
        raise BadPush(f"message data: {key} is a {type(value).__name__}, not a string")
    if len(value) > _TEXT_LIMIT:
        raise BadPush(f"message data: {key} is longer than {_TEXT_LIMIT} characters")
    return value


def parse_push(body: bytes) -> BatchEvent:
    """The batch event of a push request's body; BadPush says what is wrong."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadPush("body is not JSON (expected a Pub/Sub push envelope)") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("message"), dict):
        raise BadPush("no message object (expected a Pub/Sub push envelope)")
    message = envelope["message"]
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise BadPush("message has no messageId")
    encoded = message.get("data")
    if not isinstance(encoded, str) or not encoded:
        raise BadPush("message has no data")
    try:
        raw = base64.b64decode(encoded, validate=True)
        data = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        raise BadPush("message data is not base64-encoded JSON") from None
    if not isinstance(data, dict):
        raise BadPush("message data is not a JSON object")
    attributes = message.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise BadPush("message attributes are not an object")
    game_date = None
    if (text := _text(data, "game_date")) is not None:
        from monitor.date_bounds import parse_bounded_date

        try:
            game_date = parse_bounded_date(text)
        except ValueError as exc:
            raise BadPush(f"message data: game_date: {exc}") from None
    return BatchEvent(
        execution_id=str(_text(data, "execution_id", required=True)),
        message_id=message_id[:_TEXT_LIMIT], batch_id=_text(data, "batch_id"),
        system_id=_text(data, "system_id"), game_date=game_date,
        build_commit_sha=_text(data, "build_commit_sha"), status=_text(data, "status"),
        attributes={str(k): str(v)[:_TEXT_LIMIT] for k, v in attributes.items()})
