"""Which code is running: the commit and revision from the environment, and the guard
that refuses a backfill on any other commit than the expected one."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)
UNKNOWN = "unknown"
_warned: set[str] = set()


def _env_value(env: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    key = "/".join(names)
    if key not in _warned:
        _warned.add(key)
        log.warning("%s is not set: predictions will be recorded as 'unknown' code", key)
    return UNKNOWN


def build_commit_sha(env: Mapping[str, str] | None = None) -> str:
    """BUILD_COMMIT, or 'unknown' (never an empty string) with one warning."""
    return _env_value(os.environ if env is None else env, "BUILD_COMMIT")


def deployment_revision(env: Mapping[str, str] | None = None) -> str:
    """K_REVISION on Cloud Run services, CLOUD_RUN_EXECUTION for jobs, else 'unknown'."""
    return _env_value(os.environ if env is None else env, "K_REVISION", "CLOUD_RUN_EXECUTION")


class StaleDeploymentError(RuntimeError):
    def __init__(self, expected: str, running: str) -> None:
        super().__init__(f"refusing to run: expected commit {expected} but the running code "
                         f"is {running} (deploy {expected} first)")
        self.expected = expected
        self.running = running


def same_commit(a: str, b: str) -> bool:
    """Full and abbreviated SHAs of one commit match (at least 7 characters)."""
    a, b = a.strip().lower(), b.strip().lower()
    if UNKNOWN in (a, b) or min(len(a), len(b)) < 7:
        return a == b and a != UNKNOWN
    return a.startswith(b) or b.startswith(a)


def assert_deployed_commit(expected_sha: str, env: Mapping[str, str] | None = None) -> None:
    """The library form of `prediction-monitor check-deployment`: raise before a
    backfill when the running code is not the expected commit."""
    running = build_commit_sha(env)
    if not same_commit(expected_sha, running):
        raise StaleDeploymentError(expected_sha, running)
