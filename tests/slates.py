"""Slates written into a contract DB that the tests alert on, and a cycle run over them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.cli import main
from tests.contract import ContractDB, D, features, ts
from tests.fakes.slack_server import FakeSlack
from tests.processes import ROOT

T0 = ts(D, 16)  # the cycle after the broken batch (written at 15:00)


def broken(db: ContractDB, day: dt.date = D, at: dt.datetime | None = None) -> None:
    for _ in range(40):
        db.prediction(day=day, line=21.5, cf=features(None, has=0.0),
                      predicted_at=at or dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


def broken_slate(db: ContractDB, day: dt.date = D, commit: str = "bad0c0de", n: int = 40,
                 player: str | None = None) -> None:
    for _ in range(n):
        db.prediction(day=day, commit=commit, line=21.5, cf=features(None, has=0.0),
                      predicted_at=ts(D, 15), player=player)


def todays_data(db: ContractDB, today: dt.date) -> None:
    """Today's slate written by a broken batch, and a graded day before it."""
    for _ in range(40):
        db.prediction(day=today, line=21.5, cf=features(None, has=0.0),
                      predicted_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30))
    db.batch(day=today, started=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40))
    yesterday = today - dt.timedelta(days=1)
    for i in range(20):
        db.graded(day=yesterday, correct=i % 3 != 0,
                  graded_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))


def mismatch_posts(slack: FakeSlack) -> list[dict[str, object]]:
    return [p for p in slack.posts() if "vegas_line_feature_mismatch" in str(p["text"])]


def run(db: ContractDB, as_of: dt.datetime, run_id: str, *extra: str) -> int:
    """`run` at `as_of` with the checkout's alerts.yaml."""
    return main(["run", "--warehouse", db.url, "--as-of", as_of.isoformat(),
                 "--run-id", run_id, "--config", str(ROOT / "alerts.yaml"), *extra])


# Batches of yesterday (UTC): the commands judge them at the clock's time, the time a
# block made by `block-commit` is recorded at.
BATCH_DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
GOOD = "good0011aa"


def warehouse_with_a_batch(path: Path, *, commit: str = GOOD) -> ContractDB:
    """Daily batches on `commit` and one healthy batch of 40 rows, `exec-good`."""
    db = ContractDB(path)
    for back in (3, 2):
        day = BATCH_DAY - dt.timedelta(days=back)
        db.batch(day=day, commit=commit, started=ts(day, 13))
    db.batch(day=BATCH_DAY, commit=commit, started=ts(BATCH_DAY, 13), predicted=40,
             execution_id="exec-good")
    for _ in range(40):
        db.prediction(commit=commit, day=BATCH_DAY, predicted_at=ts(BATCH_DAY, 13) + dt.timedelta(
            minutes=1))
    return db
