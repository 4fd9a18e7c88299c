"""The production warehouse: BigQuery through google-cloud-bigquery.

queries/ files run as they are, with the dataset as the job's default dataset and
every value a typed query parameter. Every job carries a cost guard
(maximum_bytes_billed), labels that attribute its cost, and short explicit
retry deadlines (the client's default retries a refused connection for minutes).
Rows come back through the REST API: no BigQuery Storage API, and no pandas except
in query_frame (monitor.frames, for notebooks).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Mapping
from typing import Any, cast

from google.api_core import exceptions as gexc
from google.cloud import bigquery

from monitor.queries import load_query
from monitor.warehouse.base import (
    DryRunEstimator,
    MissingTableError,
    Params,
    ParamValue,
    Record,
    WarehouseError,
    bigquery_type,
)
from monitor.warehouse.sql_dialect import (
    Renames,
    parse_bigquery,
    statement_text,
    to_bigquery,
    with_renames,
)

APP_LABEL = "prediction-monitor"
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_-]")


def job_label(value: str) -> str:
    """BigQuery label values: lowercase letters, digits, _ and -, at most 63 characters."""
    return _LABEL_UNSAFE.sub("-", value.lower())[:63]


def query_parameter(name: str, value: ParamValue) -> Any:
    kind = bigquery_type(value) if value is not None else "STRING"
    if kind.startswith("ARRAY<"):
        assert isinstance(value, list | tuple)
        return bigquery.ArrayQueryParameter(name, kind[len("ARRAY<"):-1], list(value))
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    scalar = cast("str | int | float | bool | dt.date | None", value)
    return bigquery.ScalarQueryParameter(name, kind, scalar)


class BigQueryWarehouse(DryRunEstimator):
    kind = "bigquery"
    embedded = False

    def __init__(self, project: str, dataset: str, *, location: str | None = None,
                 maximum_bytes_billed: int | None = None, client: Any = None,
                 job_timeout_seconds: float = 120.0, endpoint: str | None = None,
                 run_id: str = "", tables: Mapping[str, str] | None = None) -> None:
        self.project = project
        self.dataset = dataset
        self.renames: Renames = tuple(sorted((tables or {}).items()))
        self.location = location
        self.maximum_bytes_billed = maximum_bytes_billed
        self.job_timeout = job_timeout_seconds
        self.run_id = run_id
        self.client = client or make_client(project, location, endpoint)
        self.retry = bigquery.DEFAULT_RETRY.with_deadline(min(60.0, job_timeout_seconds))

    def _job_config(self, params: Params, name: str, *, dry_run: bool = False,
                    labels: Mapping[str, str] | None = None) -> Any:
        job_labels = {"app": APP_LABEL, "check": job_label(name.replace("/", "-"))}
        if self.run_id:
            job_labels["run_id"] = job_label(self.run_id)
        job_labels.update({k: job_label(v) for k, v in (labels or {}).items()})
        return bigquery.QueryJobConfig(
            default_dataset=f"{self.project}.{self.dataset}",
            query_parameters=[query_parameter(k, v) for k, v in params.items()],
            maximum_bytes_billed=self.maximum_bytes_billed,
            labels=job_labels,
            use_legacy_sql=False,
            dry_run=dry_run,
            use_query_cache=not dry_run,
        )

    def _used(self, sql: str, params: Params) -> dict[str, ParamValue]:
        return {k: v for k, v in params.items() if re.search(rf"@{k}\b", sql)}

    def query(self, name: str, params: Params, *, labels: Mapping[str, str] | None = None) -> (
        list[Record]
    ):
        sql = with_renames(statement_text(load_query(name), params), self.renames)
        return self.run_sql(name, sql, params, labels=labels)

    def run_sql(self, name: str, sql: str, params: Params, *,
                labels: Mapping[str, str] | None = None) -> list[Record]:
        config = self._job_config(self._used(sql, params), name, labels=labels)
        try:
            job = self.client.query(sql, job_config=config, location=self.location,
                                    retry=self.retry, timeout=self.job_timeout,
                                    job_retry=None)
            rows = job.result(retry=self.retry, timeout=self.job_timeout)
            return [dict(row.items()) for row in rows]
        except gexc.NotFound as exc:  # "Not found: Table ..." (jobs themselves are ours)
            raise MissingTableError(name, _message(exc)) from exc
        except (gexc.GoogleAPIError, gexc.RetryError) as exc:
            raise WarehouseError(name, _message(exc)) from exc
        except OSError as exc:  # transport-level failure after the retry deadline
            raise WarehouseError(name, f"{type(exc).__name__}: {exc}") from exc

    def query_frame(self, name: str, params: Params) -> Any:
        """Through the client's DataFrame support (db-dtypes for DATE columns), rows
        over the REST API: never the BigQuery Storage API."""
        sql = with_renames(statement_text(load_query(name), params), self.renames)
        config = self._job_config(self._used(sql, params), name)
        try:
            job = self.client.query(sql, job_config=config, location=self.location,
                                    retry=self.retry, timeout=self.job_timeout,
                                    job_retry=None)
            rows = job.result(retry=self.retry, timeout=self.job_timeout)
            with warnings.catch_warnings():
                # 3.47 points DataFrame users at pandas-gbq; the client's own path
                # (REST pages → Arrow → pandas with db-dtypes) is still what we want.
                warnings.filterwarnings("ignore", category=PendingDeprecationWarning,
                                        message="Retrieving DataFrames via google-cloud")
                return rows.to_dataframe(create_bqstorage_client=False)
        except (gexc.GoogleAPIError, gexc.RetryError) as exc:
            raise WarehouseError(name, _message(exc)) from exc
        except OSError as exc:
            raise WarehouseError(name, f"{type(exc).__name__}: {exc}") from exc

    def dry_run_bytes(self, name: str, params: Params) -> int:
        """Bytes BigQuery would process (a free dry run)."""
        sql = with_renames(statement_text(load_query(name), params), self.renames)
        config = self._job_config(self._used(sql, params), name, dry_run=True)
        try:
            job = self.client.query(sql, job_config=config, location=self.location,
                                    retry=self.retry, timeout=self.job_timeout,
                                    job_retry=None)
        except (gexc.GoogleAPIError, gexc.RetryError) as exc:
            raise WarehouseError(name, _message(exc)) from exc
        return int(job.total_bytes_processed or 0)

    def schema_statements(self, sql: str) -> list[str]:
        return list(to_bigquery(sql, self.dataset))

    def execute_statements(self, sql: str, *, source: str) -> int:
        # BigQuery runs a multi-statement file as one script job.
        self.run_sql(source, sql, {})
        return len(parse_bigquery(sql))

    def close(self) -> None:
        self.client.close()


def _message(exc: Exception) -> str:
    if isinstance(exc, gexc.GoogleAPICallError):
        return f"{type(exc).__name__}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def make_client(project: str, location: str | None, endpoint: str | None) -> Any:
    """BIGQUERY_API_ENDPOINT: another endpoint with anonymous credentials (tests);
    otherwise Application Default Credentials."""
    if endpoint:
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(project=project, location=location,
                               credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                               client_options={"api_endpoint": endpoint})
    return bigquery.Client(project=project, location=location)
