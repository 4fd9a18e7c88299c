"""`prediction-monitor dashboard [--out FILE]`: the Cloud Monitoring dashboard JSON
built from the metric registry and the thresholds of alerts.yaml."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from monitor.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dashboard", help="the Cloud Monitoring dashboard JSON (for `gcloud "
                                         "monitoring dashboards create --config-from-file`)")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="alerts.yaml whose thresholds the charts draw")
    p.add_argument("--out", type=Path, metavar="FILE.json",
                   help="write here instead of standard output")
    p.set_defaults(handler=cmd_dashboard)


def dashboard_json(config_path: Path | None) -> str:
    from monitor.commands.common import load_config_or_exit
    from monitor.metrics.dashboard import build_dashboard

    return json.dumps(build_dashboard(load_config_or_exit(config_path)), indent=2) + "\n"


def cmd_dashboard(args: argparse.Namespace) -> int:
    text = dashboard_json(args.config)
    if args.out is None:
        print(text, end="")
        return ExitCode.OK
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return ExitCode.OK
