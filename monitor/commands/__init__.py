"""Commands that live outside cli.py, one module each; adding one touches REGISTER."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from monitor.commands import (
    backtest_command,
    dashboard_command,
    deployment_command,
    estimate_command,
    query_command,
    report_command,
    run_command,
    schema_command,
    serve_command,
    silences_command,
)

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTER: list[Register] = [
    run_command.register,
    schema_command.register,
    query_command.register,
    estimate_command.register,
    serve_command.register,
    backtest_command.register,
    deployment_command.register,
    report_command.register,
    dashboard_command.register,
    silences_command.register,
]
