"""Running the CLI as a process of its own: where it is, a clean environment for it, a
free port for `serve`, and the environment that points it at the Slack fake."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.fakes.slack_server import TOKEN, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "prediction-monitor"


def slack_env(slack: FakeSlack) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#alerts",
            "SLACK_API_URL": slack.base_url}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CLOUD_RUN", "K_", "GOOGLE_CLOUD", "MONITOR_"))}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def held_by_another_process(path: Path) -> Iterator[int]:
    """The DuckDB file open in another process (a `serve` or a `run`) until the block
    ends; yields that process's id."""
    code = ("import sys, duckdb\nc = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\n"
            "sys.stdin.read()\n")
    with subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        try:
            yield proc.pid
        finally:
            proc.communicate(timeout=30)  # closes its stdin: it lets go of the file
