"""A BigQuery REST (v2) fake on 127.0.0.1 that answers query jobs by running the
transpiled SQL on DuckDB over the same data. Implements what google-cloud-bigquery's
client uses: POST jobs, GET jobs/{id}, GET queries/{id}, POST queries, insertAll."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb

from monitor.warehouse.sql_dialect import to_duckdb

PREFIX = "/bigquery/v2/projects/"


def _bq_type(duck: str) -> str:
    duck = duck.upper()
    if duck in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"):
        return "INTEGER"
    if duck in ("DOUBLE", "FLOAT", "REAL") or duck.startswith("DECIMAL"):
        return "FLOAT"
    if duck == "BOOLEAN":
        return "BOOLEAN"
    if duck == "DATE":
        return "DATE"
    if duck.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if duck == "JSON":
        return "JSON"
    return "STRING"


def _cell(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "INTEGER":
        return str(int(value))
    if kind == "FLOAT":
        return repr(float(value))
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "DATE":
        return value.isoformat()
    if kind == "TIMESTAMP":  # int64 microseconds, as the client asks for
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return str(int(value.timestamp() * 1_000_000))
    return value if isinstance(value, str) else json.dumps(value) if kind == "JSON" \
        else str(value)


def _param_value(ptype: dict[str, Any], pvalue: dict[str, Any] | None) -> Any:
    if ptype["type"] == "ARRAY":
        inner = ptype["arrayType"]
        return [_param_value(inner, v) for v in (pvalue or {}).get("arrayValues", [])]
    raw = (pvalue or {}).get("value")
    if raw is None:
        return None
    kind = ptype["type"]
    if kind == "DATE":
        return dt.date.fromisoformat(raw)
    if kind == "TIMESTAMP":
        text = raw.replace(" ", "T")
        value = dt.datetime.fromisoformat(re.sub(r"(\+00:00|Z)$", "", text))
        return value.replace(tzinfo=dt.UTC)
    if kind == "INT64":
        return int(raw)
    if kind == "FLOAT64":
        return float(raw)
    if kind == "BOOL":
        return raw == "true"
    return raw


@dataclass
class Job:
    job_id: str
    resource: dict[str, Any]
    fields: list[dict[str, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeBigQuery:
    server: ThreadingHTTPServer
    con: duckdb.DuckDBPyConnection
    jobs: dict[str, Job] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    # query text substring → "http" (a 400 error payload) or "errorResult" (DONE, failed)
    fail_when: dict[str, str] = field(default_factory=dict)
    inserted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def job_configs(self) -> list[dict[str, Any]]:
        return [j.resource["configuration"] for j in self.jobs.values()]

    def run(self, sql: str, dataset: str, params: dict[str, Any]) -> tuple[list[dict[str, str]],
                                                                           list[dict[str, Any]]]:
        with self.lock:
            fields: list[dict[str, str]] = []
            rows: list[dict[str, Any]] = []
            for stmt in to_duckdb(sql, dataset):
                used = {k: v for k, v in params.items() if f"${k}" in stmt}
                cur = self.con.execute(stmt, used)
                if cur.description:
                    fields = [{"name": d[0], "type": _bq_type(str(d[1])), "mode": "NULLABLE"}
                              for d in cur.description]
                    rows = [{"f": [{"v": _cell(f["type"], v)} for f, v in zip(fields, r,
                                                                               strict=True)]}
                            for r in cur.fetchall()]
            return fields, rows


def _handler(fake: FakeBigQuery) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, reason: str, message: str) -> None:
            self._send(status, {"error": {"code": status, "message": message, "errors": [
                {"reason": reason, "message": message, "domain": "global"}]}})

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            body = self._body()
            fake.requests.append(("POST", url.path, body))
            project, _, rest = url.path.removeprefix(PREFIX).partition("/")
            if rest == "jobs":
                self._insert_job(project, body)
            elif rest == "queries":
                self._query(project, body)
            elif rest.endswith("/insertAll"):
                _, dataset, _, table, _ = rest.split("/")
                rows = [row["json"] for row in body.get("rows", [])]
                with fake.lock:
                    for row in rows:
                        fake.inserted.append((table, row))
                        cols = list(row)
                        fake.con.execute(
                            f"INSERT INTO {dataset}.{table} ({', '.join(cols)}) "
                            f"VALUES ({', '.join('?' for _ in cols)})", list(row.values()))
                self._send(200, {"kind": "bigquery#tableDataInsertAllResponse"})
            else:
                self._error(404, "notFound", f"no route {url.path}")

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            fake.requests.append(("GET", url.path, None))
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            project, _, rest = url.path.removeprefix(PREFIX).partition("/")
            kind, _, job_id = rest.partition("/")
            job = fake.jobs.get(job_id)
            if job is None:
                self._error(404, "notFound", f"Not found: Job {project}:{job_id}")
            elif kind == "jobs":
                self._send(200, job.resource)
            elif kind == "queries":
                self._send(200, self._results(job, query))
            else:
                self._error(404, "notFound", f"no route {url.path}")

        def _execute(self, project: str, config: dict[str, Any], job_id: str) -> Job | None:
            q = config["query"]
            sql = q["query"]
            resource: dict[str, Any] = {
                "kind": "bigquery#job", "id": f"{project}:{job_id}",
                "jobReference": {"projectId": project, "jobId": job_id,
                                 "location": config.get("location") or "US"},
                "configuration": config, "status": {"state": "DONE"},
                "statistics": {"creationTime": "0", "startTime": "0", "endTime": "0",
                               "query": {"totalBytesProcessed": "0"}},
            }
            job = Job(job_id, resource)
            for needle, how in fake.fail_when.items():
                if needle in sql:
                    if how == "http":
                        self._error(400, "invalidQuery", f"Syntax error near {needle}")
                        return None
                    resource["status"]["errorResult"] = {
                        "reason": "invalidQuery", "message": f"failed on {needle}"}
                    resource["status"]["errors"] = [resource["status"]["errorResult"]]
                    fake.jobs[job_id] = job
                    return job
            dataset = (q.get("defaultDataset") or {}).get("datasetId", "")
            params = {p["name"]: _param_value(p["parameterType"], p.get("parameterValue"))
                      for p in q.get("queryParameters", [])}
            if config.get("dryRun"):
                tables = re.findall(r"\bFROM\s+(\w+)", sql, flags=re.I)
                size = sum(fake.con.execute(
                    f"SELECT count(*) FROM {dataset}.{t}").fetchone()[0] for t in set(tables)
                    if t in {"player_prop_predictions", "prediction_accuracy",
                             "prediction_execution_log", "monitor_alert_events"}) * 64
                resource["statistics"]["totalBytesProcessed"] = str(size)
                resource["statistics"]["query"]["totalBytesProcessed"] = str(size)
                return job
            try:
                job.fields, job.rows = fake.run(sql, dataset, params)
            except duckdb.Error as exc:
                # BigQuery fails a job on a missing table with reason notFound (404).
                reason = ("notFound" if isinstance(exc, duckdb.CatalogException)
                          else "invalidQuery")
                resource["status"]["errorResult"] = {"reason": reason,
                                                     "message": str(exc).splitlines()[0]}
                resource["status"]["errors"] = [resource["status"]["errorResult"]]
            fake.jobs[job_id] = job
            return job

        def _insert_job(self, project: str, body: dict[str, Any]) -> None:
            job_id = (body.get("jobReference") or {}).get("jobId") or uuid.uuid4().hex
            config = body["configuration"]
            config.setdefault("labels", {})
            config["labels"] = {**config["labels"], **(body.get("configuration", {})
                                                       .get("labels") or {})}
            job = self._execute(project, config, job_id)
            if job is not None:
                self._send(200, job.resource)

        def _query(self, project: str, body: dict[str, Any]) -> None:
            job_id = uuid.uuid4().hex
            config = {"query": {k: v for k, v in body.items()
                                if k in ("query", "defaultDataset", "queryParameters",
                                         "useLegacySql", "maximumBytesBilled")},
                      "labels": body.get("labels", {}), "dryRun": body.get("dryRun", False)}
            job = self._execute(project, config, job_id)
            if job is None:
                return
            if "errorResult" in job.resource["status"]:
                err = job.resource["status"]["errorResult"]
                self._error(404 if err["reason"] == "notFound" else 400, err["reason"],
                            err["message"])
                return
            self._send(200, {**self._results(job, {}), "kind": "bigquery#queryResponse"})

        def _results(self, job: Job, query: dict[str, str]) -> dict[str, Any]:
            start = int(query.get("pageToken") or query.get("startIndex") or 0)
            size = int(query.get("maxResults", 10_000))
            page = job.rows[start:start + size]
            out: dict[str, Any] = {
                "kind": "bigquery#getQueryResultsResponse", "jobComplete": True,
                "jobReference": job.resource["jobReference"],
                "schema": {"fields": job.fields}, "totalRows": str(len(job.rows)),
                "rows": page,
            }
            if start + size < len(job.rows):
                out["pageToken"] = str(start + size)
            return out

    return Handler


def start_fake_bigquery(duckdb_path: Path) -> FakeBigQuery:
    con = duckdb.connect(str(duckdb_path))
    con.execute("SET TimeZone = 'UTC'")
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeBigQuery(server, con)
    server.RequestHandlerClass = _handler(fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake


def stop_fake_bigquery(fake: FakeBigQuery) -> None:
    fake.server.shutdown()
    fake.server.server_close()
    fake.con.close()


def measured_both_ways(duckdb_path: Path, check: Any, ctx: Any) -> tuple[Any, Any]:
    """One check's observations from the DuckDB file directly and through the real
    BigQuery client against this fake over the same file: (via DuckDB, via BigQuery)."""
    from monitor.warehouse.bigquery import BigQueryWarehouse
    from monitor.warehouse.duckdb import DuckDBWarehouse

    fake = start_fake_bigquery(duckdb_path)
    duck = DuckDBWarehouse(duckdb_path)
    big = BigQueryWarehouse("test-project", "nba_predictions", endpoint=fake.endpoint,
                            maximum_bytes_billed=10**9, job_timeout_seconds=10)
    try:
        return check.measure(duck, ctx), check.measure(big, ctx)
    finally:
        duck.close()
        big.close()
        stop_fake_bigquery(fake)


def bq_warehouse(fake: FakeBigQuery, **kwargs: object) -> Any:
    """The real BigQuery client of the monitor, pointed at this fake."""
    from monitor.warehouse.bigquery import BigQueryWarehouse

    return BigQueryWarehouse("test-project", "nba_predictions", endpoint=fake.endpoint,
                             maximum_bytes_billed=10**9, job_timeout_seconds=10,
                             run_id="Run/2026-01-09", **kwargs)


def rounded(observations: list[Any]) -> list[Any]:
    """Sums after a window function (duplicate rows counted once) add in no fixed
    order, on either engine: compare to 9 decimals, not to the last bit."""
    from dataclasses import replace

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 9)

    return [replace(o, value=r(o.value), baseline=r(o.baseline),
                    interval=None if o.interval is None else
                    (round(o.interval[0], 9), round(o.interval[1], 9)))
            for o in observations]
