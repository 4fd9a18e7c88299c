"""Publishing a batch's message to Pub/Sub (`MONITOR_BATCH_TOPIC`) once its
execution-log row is written, so `serve` runs a cycle for it at once.

google-cloud-pubsub is an optional extra (`prediction-monitor[pubsub]`), imported only
when a topic is configured: the worker's `import monitor.provenance` stays light. A
publish that fails is a warning, never an exception: the row is already written, and
the next hourly cycle sees the batch anyway. `PUBSUB_EMULATOR_HOST` (read by the client
library) points the client at an emulator or a local fake."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from monitor.events.message import event_attributes, event_bytes
from monitor.events.settings import event_settings

log = logging.getLogger(__name__)
PUBLISH_TIMEOUT_SECONDS = 30.0

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _client() -> Any:
    """One PublisherClient per process (its channel and batching thread are reused)."""
    import google.cloud.pubsub_v1 as pubsub_v1

    # Keyed by the emulator setting, so a process that changes it gets a new channel.
    key = os.environ.get("PUBSUB_EMULATOR_HOST", "")
    with _clients_lock:
        if key not in _clients:
            _clients[key] = pubsub_v1.PublisherClient()
        return _clients[key]


def publish_row(topic: str, row: Mapping[str, Any], *,
                timeout: float = PUBLISH_TIMEOUT_SECONDS) -> str:
    """Publish the batch message of an execution-log row; its message id. Raises on
    failure (publish_batch is the form that never raises)."""
    client = _client()
    future = client.publish(topic, event_bytes(row), timeout=timeout, **event_attributes(row))
    return str(future.result(timeout=timeout + 5))


def publish_batch(row: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str | None:
    """Publish when MONITOR_BATCH_TOPIC is set; the message id, or None (no topic, or a
    failure: logged as a warning, never raised)."""
    topic = event_settings(os.environ if env is None else env).topic
    if not topic:
        return None
    execution = row.get("execution_id")
    try:
        return publish_row(topic, row)
    except ImportError:
        log.warning("MONITOR_BATCH_TOPIC is set but google-cloud-pubsub is not installed "
                    "(pip install 'prediction-monitor[pubsub]'): batch %s not published; "
                    "its execution-log row is written", execution)
    except Exception as exc:  # noqa: BLE001 - the row is written; the hourly cycle sees it
        log.warning("batch %s not published to %s (its execution-log row is written): "
                    "%s: %s", execution, topic, type(exc).__name__, str(exc)[:300])
    return None
