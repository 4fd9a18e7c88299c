"""A push envelope as a Pub/Sub push subscription POSTs it to /events/batch."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any


def push_envelope(data: bytes, message_id: str, *,
                  attributes: Mapping[str, str] | None = None,
                  subscription: str = "projects/p/subscriptions/s") -> dict[str, Any]:
    message: dict[str, Any] = {"data": base64.b64encode(data).decode(),
                               "messageId": message_id, "message_id": message_id}
    if attributes:
        message["attributes"] = dict(attributes)
    return {"message": message, "subscription": subscription}
