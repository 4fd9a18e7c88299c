"""Builders for DuckDB files that follow the data contract, row by row, so tests
know every answer exactly."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

from monitor.schema import apply_schema
from monitor.warehouse.duckdb import DuckDBWarehouse

UTC = dt.UTC
D = dt.date(2026, 1, 9)


def ts(day: dt.date, hour: int = 15) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)


def features(line: float | None = 20.5, has: float = 1.0, ppm: float = 0.71,
             win: float = 0.55, minutes: float = 27.5) -> str:
    return json.dumps({"vegas_points_line": line, "has_vegas_line": has,
                       "ppm_avg_last_10": ppm, "team_win_pct": win,
                       "minutes_avg_last_10": minutes})


def fetch(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of plain DuckDB SQL on a file, opened for the call only (not read-only:
    a test may hold the file open too)."""
    wh = DuckDBWarehouse(path)
    try:
        return wh.connection.execute(sql, params or []).fetchall()
    finally:
        wh.close()


class ContractDB:
    """A DuckDB warehouse with the contract's schema and helpers to add rows."""

    # Where the empty warehouse of each kind is built once and copied from (the
    # conftest sets a folder per test process); None: every one is built from the schema.
    templates: ClassVar[Path | None] = None

    def __init__(self, path: Path, *, varchar_features: bool = True) -> None:
        self.path = path
        if self.templates is not None:
            kind = "varchar" if varchar_features else "json"
            template = self.templates / f"contract-{kind}.duckdb"
            if not template.exists():
                self._build(template, varchar_features)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, path)
            self.wh = DuckDBWarehouse(path, "nba_predictions")
        else:
            self.wh = DuckDBWarehouse(path, "nba_predictions")
            self._apply_schema(self.wh, varchar_features)
        self._n = 0

    @classmethod
    def _build(cls, path: Path, varchar_features: bool) -> None:
        wh = DuckDBWarehouse(path.with_suffix(".partial"), "nba_predictions")
        try:
            cls._apply_schema(wh, varchar_features)
            wh.connection.execute("CHECKPOINT")
        finally:
            wh.close()
        path.with_suffix(".partial").replace(path)

    @staticmethod
    def _apply_schema(wh: DuckDBWarehouse, varchar_features: bool) -> None:
        apply_schema(wh)
        if varchar_features:
            # A VARCHAR column can hold malformed JSON (a JSON column cannot).
            for table in ("player_prop_predictions", "prediction_accuracy"):
                wh.connection.execute(
                    f"ALTER TABLE nba_predictions.{table} ALTER critical_features TYPE VARCHAR")

    @property
    def url(self) -> str:
        return f"duckdb:///{self.path}"

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.wh.connection.execute(
            f"INSERT INTO nba_predictions.{table} ({cols}) VALUES ({marks})", list(row.values()))

    def prediction(self, *, system: str = "catboost_v8", commit: str | None = "abc123",
                   day: dt.date = D, predicted: float = 22.0, line: float | None = 20.5,
                   rec: str = "OVER", cf: str | None = None, superseded: bool = False,
                   predicted_at: dt.datetime | None = None, player: str | None = None,
                   revision: str = "rev-1", game_id: str | None = None) -> str:
        self._n += 1
        pid = f"p{self._n}"
        self._insert("player_prop_predictions", {
            "prediction_id": pid, "system_id": system,
            "player_lookup": player or f"player_{self._n}",
            "game_id": game_id or f"g{day:%Y%m%d}",
            "game_date": day, "predicted_points": predicted, "line_value": line,
            "recommendation": rec, "confidence_score": 0.6, "is_active": not superseded,
            "superseded": superseded, "build_commit_sha": commit,
            "deployment_revision": revision,
            "predicted_at": predicted_at or ts(day, 15),
            "critical_features": features(line) if cf is None else cf,
        })
        return pid

    def graded(self, *, system: str = "catboost_v8", commit: str | None = "abc123",
               day: dt.date = D, predicted: float = 22.0, line: float | None = 20.5,
               actual: float = 25.0, correct: bool | None = True,
               graded_at: dt.datetime | None = None, game_id: str | None = None,
               side: str = "OVER", player: str | None = None,
               null_game_id: bool = False) -> None:
        self._n += 1
        self._insert("prediction_accuracy", {
            "prediction_id": f"a{self._n}", "system_id": system,
            "player_lookup": player or f"player_{self._n}",
            "game_id": None if null_game_id else game_id or f"g{day:%Y%m%d}",
            "game_date": day, "predicted_points": predicted, "line_value": line,
            "recommendation": "PASS" if correct is None else side, "confidence_score": 0.6,
            "actual_points": actual, "prediction_correct": correct,
            "absolute_error": abs(predicted - actual), "signed_error": predicted - actual,
            "graded_at": graded_at or ts(day + dt.timedelta(days=1), 9),
            "build_commit_sha": commit, "critical_features": features(line),
        })

    def batch(self, *, system: str = "catboost_v8", day: dt.date = D, commit: str = "abc123",
              status: str = "success", requested: int = 200, predicted: int = 200,
              pct_vegas: float = 40.0, pct_ppm: float = 100.0, quality: float = 90.0,
              mode: str = "daily", started: dt.datetime | None = None,
              error: str | None = None, execution_id: str | None = None) -> str:
        self._n += 1
        start = started or ts(day, 14)
        eid = execution_id or f"e{self._n}"
        self._insert("prediction_execution_log", {
            "execution_id": eid, "batch_id": f"b{self._n}",
            "build_commit_sha": commit, "deployment_revision": "rev-1",
            "execution_start_timestamp": start,
            "execution_end_timestamp": start + dt.timedelta(minutes=5),
            "duration_seconds": 300.0, "game_date": day, "system_id": system,
            "players_requested": requested, "players_predicted": predicted, "status": status,
            "error_message": error, "error_count": requested - predicted,
            "avg_feature_quality_score": quality, "pct_with_vegas_line": pct_vegas,
            "pct_with_ppm": pct_ppm, "pct_with_shot_zones": 95.0,
            "feature_store_snapshot_time": start, "feature_source_mode": mode,
            "orchestration_run_id": f"o{self._n}",
        })
        return eid

    def game(self, *, day: dt.date = D, game_id: str | None = None, tipoff_hour: float = 24.0,
             status: str = "scheduled", home: str = "BOS", away: str = "NYK") -> str:
        """A row of the calendar; tip-off in hours after midnight UTC of `day`
        (24.0 = 19:00 US/Eastern in winter)."""
        gid = game_id or f"g{day:%Y%m%d}"
        self._insert("game_schedule", {
            "game_id": gid, "game_date": day, "home_team": home, "away_team": away,
            "scheduled_start": dt.datetime.combine(day, dt.time(), tzinfo=UTC)
            + dt.timedelta(hours=tipoff_hour),
            "game_status": status,
        })
        return gid

    def close(self) -> None:
        self.wh.close()
