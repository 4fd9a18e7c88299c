"""The environment settings of event-driven cycles, read and checked in one place
(`serve` at start-up and `check-config` report the same problems)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

# Google's signing keys of OIDC tokens (Pub/Sub push tokens among them), as x509 PEMs.
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
HOURLY_CYCLE_VALUES = ("job", "service")
_TOPIC = re.compile(r"^projects/[^/\s]+/topics/[^/\s]+$")


@dataclass(frozen=True)
class PushAuthSettings:
    """When set, a push must carry a Google-signed OIDC token for `audience`
    (and, when given, issued to `service_account`)."""

    audience: str
    service_account: str | None = None
    certs_url: str = GOOGLE_CERTS_URL


@dataclass(frozen=True)
class EventSettings:
    push_auth: PushAuthSettings | None
    # Who runs the hourly cycle: "service" — `serve` schedules it; "job" — the Cloud
    # Run job (Cloud Scheduler) does and `serve` only answers pushes and requests.
    hourly_cycle: Literal["job", "service"]
    topic: str | None  # where the execution-log writer publishes batch messages

    @property
    def serve_schedules_cycle(self) -> bool:
        return self.hourly_cycle == "service"


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def event_settings(env: Mapping[str, str]) -> EventSettings:
    """The settings of `env`; call event_env_problems first (this does not validate)."""
    audience = _get(env, "MONITOR_PUSH_AUDIENCE")
    auth = None
    if audience:
        auth = PushAuthSettings(
            audience, _get(env, "MONITOR_PUSH_SERVICE_ACCOUNT") or None,
            _get(env, "MONITOR_PUSH_CERTS_URL") or GOOGLE_CERTS_URL)
    cycle = _get(env, "MONITOR_HOURLY_CYCLE") or "service"
    return EventSettings(auth, "job" if cycle == "job" else "service",
                         _get(env, "MONITOR_BATCH_TOPIC") or None)


def event_env_problems(env: Mapping[str, str]) -> list[str]:
    problems = []
    if _get(env, "MONITOR_PUSH_SERVICE_ACCOUNT") and not _get(env, "MONITOR_PUSH_AUDIENCE"):
        problems.append("MONITOR_PUSH_SERVICE_ACCOUNT is set but MONITOR_PUSH_AUDIENCE is not "
                        "(the token is only checked against an audience)")
    certs = _get(env, "MONITOR_PUSH_CERTS_URL")
    if certs and urlsplit(certs).scheme not in ("http", "https"):
        problems.append("MONITOR_PUSH_CERTS_URL is not an http(s) URL")
    cycle = _get(env, "MONITOR_HOURLY_CYCLE")
    if cycle and cycle not in HOURLY_CYCLE_VALUES:
        problems.append(f"MONITOR_HOURLY_CYCLE must be job or service, not {cycle[:40]!r}")
    topic = _get(env, "MONITOR_BATCH_TOPIC")
    if topic and not _TOPIC.match(topic):
        problems.append(f"MONITOR_BATCH_TOPIC must be projects/PROJECT/topics/TOPIC, not "
                        f"{topic[:80]!r}")
    return problems


def event_env_warnings(env: Mapping[str, str]) -> list[str]:
    """Settings that work but are weaker than they look."""
    if _get(env, "MONITOR_PUSH_AUDIENCE") and not _get(env, "MONITOR_PUSH_SERVICE_ACCOUNT"):
        return ["MONITOR_PUSH_AUDIENCE is set without MONITOR_PUSH_SERVICE_ACCOUNT: any "
                "Google-signed token for that audience is accepted, and anyone with a "
                "Google account can mint one; set the push subscription's service account"]
    return []
