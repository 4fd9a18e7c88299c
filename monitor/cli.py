"""prediction-monitor command line: the parser and `main`, the one place where an error
that stops a command becomes an exit code. The commands live in monitor/commands/;
imports stay inside them so `--help` and a DuckDB run load nothing they do not use."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from monitor.exit_codes import ExitCode

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prediction-monitor",
        description="Monitors prediction quality and alerts when predictions go bad.")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an error that stops a command")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]],
                                       None]]:
    """Every command, each in its own module under monitor/commands/."""
    from monitor.commands import REGISTER

    return REGISTER


def main(argv: Sequence[str] | None = None) -> int:
    """Runs a command; the one place where an error that stopped it becomes an exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else ExitCode.MONITOR_ERROR
    except KeyboardInterrupt:
        return ExitCode.MONITOR_ERROR
    except Exception as exc:  # noqa: BLE001 - every error ends as one report line and a code
        from monitor.app import process_env
        from monitor.commands.common import report_error
        from monitor.errors import describe_error

        env = process_env()
        label, code, expected = describe_error(exc)
        if args.debug:
            import traceback

            report_error(traceback.format_exc().rstrip(), env)
        text = str(exc)
        if not expected:  # one line: the traceback is for --debug
            text = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")
        hint = "" if expected or args.debug else " (--debug shows the traceback)"
        # A config error lists its problems one per line, below the label.
        head = f"{label}:{'' if text.startswith(chr(10)) else ' '}" if label else ""
        report_error(f"{head}{text}{hint}", env)
        return int(code)
