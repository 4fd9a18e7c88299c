"""Every command, one module each; adding one touches REGISTER (the order of `--help`).
Shared helpers live in common.py: no command imports monitor.cli."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from monitor.commands import (
    backtest_command,
    block_commit_command,
    blocks_command,
    check_batch_command,
    check_config_command,
    dashboard_command,
    demo_command,
    deployment_command,
    estimate_command,
    query_command,
    report_command,
    run_command,
    schema_command,
    serve_command,
    silences_command,
    unblock_commit_command,
    validate_command,
)

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTER: list[Register] = [
    validate_command.register,
    demo_command.register,
    check_config_command.register,
    run_command.register,
    schema_command.register,
    query_command.register,
    estimate_command.register,
    serve_command.register,
    backtest_command.register,
    deployment_command.register,
    check_batch_command.register,
    report_command.register,
    dashboard_command.register,
    silences_command.register,
    block_commit_command.register,
    unblock_commit_command.register,
    blocks_command.register,
]
