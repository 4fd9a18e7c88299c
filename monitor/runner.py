"""Runs every registered check, each isolated: one failing check never silences
the others, and a check that errors is a finding, never a silent pass."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from monitor.checks import Check, CheckContext, all_checks
from monitor.model import CheckResult, Status
from monitor.rules.evaluate import evaluate_check
from monitor.warehouse.base import QueryRunner

log = logging.getLogger(__name__)


def run_checks(warehouse: QueryRunner, ctx: CheckContext,
               checks: Sequence[Check] | None = None) -> list[CheckResult]:
    results: list[CheckResult] = []
    for check in checks if checks is not None else all_checks():
        try:
            observations = check.measure(warehouse, ctx)
        except Exception as exc:  # noqa: BLE001 - any failure becomes this check's error
            log.warning("check %s failed: %s", check.name, exc)
            message = f"{type(exc).__name__}: {exc}"
            results.append(CheckResult(check.name, Status.ERROR, message, error=message))
            continue
        rules = ctx.config.rules_for(set(check.metrics))
        results.append(evaluate_check(check.name, check.metrics, observations, rules,
                                      empty_reason=_empty_reason(check, ctx)))
    return results


def _empty_reason(check: Check, ctx: CheckContext) -> str:
    if ctx.mode == "daily" and ctx.target_date:
        return f"no rows for game date {ctx.target_date.isoformat()}: missing data, not healthy"
    return f"no rows as of {ctx.as_of.isoformat()}: missing data, not healthy"
