"""Facts about where the monitor runs: run identity and the Cloud Run environment."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping


def on_cloud_run(env: Mapping[str, str]) -> bool:
    return bool(env.get("CLOUD_RUN_JOB") or env.get("K_SERVICE"))


def run_id_from_env(env: Mapping[str, str], now: dt.datetime) -> str:
    """A Cloud Run job execution is one run: a retried task (CLOUD_RUN_TASK_ATTEMPT > 0)
    gets the same id, so it cannot notify twice. Locally, a fresh id."""
    if env.get("MONITOR_RUN_ID"):
        return env["MONITOR_RUN_ID"]
    job, execution = env.get("CLOUD_RUN_JOB"), env.get("CLOUD_RUN_EXECUTION")
    if job and execution:
        return f"{job}/{execution}/{env.get('CLOUD_RUN_TASK_INDEX', '0')}"
    return f"local-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
