"""`POST /events/batch`: a Pub/Sub push of a batch message runs a cycle at once.

In order: the OIDC token when an audience is configured (401 without one, 403 when it
does not verify, 503 when Google's keys cannot be fetched — nothing runs), the envelope
(400 when malformed), then the cycle `serve` runs on its schedule, under the cycle
lease. The answer waits for the cycle: 200 only once the alert state is recorded and
every message it owed was delivered. Otherwise a 5xx, so Pub/Sub redelivers — 503 when
another cycle holds the lease, a notification is kept pending, another process has
the DuckDB warehouse open, or the cycle failed. A redelivered message is the same
run (its run id is the message id's), and the alert state's dedup posts nothing twice.

Pushes wait for their cycle in a pool of their own: at most `slots` of them hold a
worker of the server at once, so the Slack routes and /metrics always have workers
left; a push beyond that is answered 503 at once (Pub/Sub redelivers it).

Pub/Sub treats every answer but 102, 200, 201, 202 and 204 as a nack, a 400 too: a
malformed message is redelivered with backoff until the subscription's retention drops
it (an hour in deploy/), and nothing ever runs for it."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from monitor.events.message import BadPush, BatchEvent, parse_push
from monitor.events.oidc import Forbidden, KeysUnavailable, PushVerifier, Unauthenticated
from monitor.routes import Request, Response, Route

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.serve_cycle import CycleOutcome, ServeCycle

log = logging.getLogger(__name__)
PATH = "/events/batch"
PUSH_SLOTS = 16  # pushes that may wait for a cycle at once


def batch_push_route(cycles: ServeCycle, config: MonitorConfig,
                     verifier: PushVerifier | None, *, slots: int = PUSH_SLOTS) -> Route:
    pool = threading.BoundedSemaphore(slots)

    def route(request: Request) -> Response:
        if not pool.acquire(blocking=False):
            log.warning("push refused: %d pushes already wait for a cycle", slots)
            return Response.text(503, f"busy: {slots} pushes already wait for a cycle; "
                                      "Pub/Sub will redeliver")
        try:
            return waited(request)
        finally:
            pool.release()

    def waited(request: Request) -> Response:
        arrived = time.monotonic()
        if verifier is not None:
            try:
                verifier.verify(request.headers)
            except Unauthenticated as exc:
                return Response.text(401, str(exc))
            except Forbidden as exc:
                log.warning("push refused: %s", exc)
                return Response.text(403, str(exc))
            except KeysUnavailable as exc:
                return Response.text(503, f"{exc}: retry later")
        try:
            event = parse_push(request.body)
        except BadPush as exc:
            log.warning("push refused: %s", exc)
            return Response.text(400, f"bad push: {exc}")
        log.info("batch event: %s", event.describe(), extra={"run_id": event.run_id})
        outcome = cycles.run_after(arrived, event.run_id)
        if outcome is None:
            return Response.text(503, "serve is stopping: Pub/Sub will redeliver")
        return answer(event, outcome, config)

    return route


def answer(event: BatchEvent, outcome: CycleOutcome, config: MonitorConfig) -> Response:
    problem = outcome.problem
    summary = outcome.summary
    if outcome.busy is not None:
        return Response.text(503, f"{problem}: Pub/Sub will redeliver")
    if summary is None:
        # The cycle failed: every push that waited for it hears so at once, with the
        # same "try again later" as the other outcomes that leave work undone.
        return Response.text(503, f"{problem}: Pub/Sub will redeliver")
    if problem is not None:
        log.warning("batch event %s not done: %s", event.execution_id, problem,
                    extra={"run_id": outcome.run_id})
        return Response.text(503, f"{problem}: Pub/Sub will redeliver")
    from monitor.checks.base import CheckContext

    start, end = CheckContext(as_of=summary.as_of, config=config).slate_window(
        config.settings.prediction_lookback_days)
    checked = event.game_date is None or start <= event.game_date <= end
    if not checked:
        # Redelivering would not change that: answered 200, and said.
        log.warning("batch %s is for game date %s, outside the prediction-time window "
                    "%s..%s: the cycle did not judge its slate", event.execution_id,
                    event.game_date, start, end, extra={"run_id": outcome.run_id})
    body: dict[str, Any] = {
        "execution_id": event.execution_id, "run_id": outcome.run_id,
        "as_of": summary.as_of.isoformat(),
        "game_date": event.game_date.isoformat() if event.game_date else None,
        "slate_checked": checked, "slate_window": [start.isoformat(), end.isoformat()],
        "alerts": {"fired": summary.events_of("fired"),
                   "resolved": summary.events_of("resolved"),
                   "firing": summary.alerts_firing},
        "notifications": {"sent": summary.sent, "failed": summary.failed},
        "summary": summary.line(),
    }
    return Response.json(200, body)
