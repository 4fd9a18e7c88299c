"""The demo warehouse: a season with the seed's incident, in a DuckDB file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.demo.generator import DayTables, generate_season
from monitor.demo.options import HEALTHY_DATE, DemoOptions
from monitor.demo.schedule import schedule_table
from monitor.schema import apply_schema
from monitor.warehouse.duckdb import DuckDBWarehouse


def build_demo_warehouse(path: Path, opts: DemoOptions | None = None, *,
                         show_progress: bool = True, sql_cache: Path | None = None) -> int:
    """Create the DuckDB file at `path` (replacing a partial one) and fill it;
    `sql_cache`: the folder of transpiled SQL (see DuckDBWarehouse)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    opts = opts or DemoOptions()
    tmp = path.with_suffix(".partial.duckdb")
    tmp.unlink(missing_ok=True)
    warehouse = DuckDBWarehouse(tmp, "nba_predictions", sql_cache=sql_cache)
    try:
        apply_schema(warehouse)
        days = (opts.end - opts.start).days + 1
        schedule = opts.schedule()
        warehouse.insert_arrow("game_schedule", schedule_table(
            [g for day in sorted(schedule) for g in schedule[day]]))

        def write(tables: DayTables) -> None:
            for table, data in (("player_prop_predictions", tables.predictions),
                                ("prediction_accuracy", tables.accuracy),
                                ("prediction_execution_log", tables.execution_log)):
                if data.num_rows:  # a day without any batch writes nothing
                    warehouse.insert_arrow(table, data)

        with Progress(TextColumn("building demo season"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[day]}"), disable=not show_progress) as bar:
            task = bar.add_task("days", total=days, day="")
            rows = generate_season(opts, write,
                                   lambda d: bar.update(task, advance=1, day=d.isoformat()),
                                   schedule)
        warehouse.connection.execute("CHECKPOINT")
    finally:
        warehouse.close()
    tmp.replace(path)
    return rows


__all__ = ["HEALTHY_DATE", "build_demo_warehouse", "incident_first_date"]


def incident_first_date(opts: DemoOptions | None = None) -> dt.date:
    return (opts or DemoOptions()).incident_start
