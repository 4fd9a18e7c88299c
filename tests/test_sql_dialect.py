"""The dialect as strings, no connection (Soda's habit): for each construct queries/
uses, the BigQuery SQL a job gets and the DuckDB SQL the embedded warehouse runs.
The BigQuery fake itself transpiles with to_duckdb, so only these tests pin the text."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot import exp

from monitor.warehouse.sql_dialect import parse_bigquery, to_bigquery, to_duckdb, with_renames

ROOT = Path(__file__).resolve().parent.parent

# (construct, BigQuery as written, BigQuery as sent, DuckDB as run)
CASES = [
    ("CASE and CAST of a comparison to an integer",
     "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END, CAST(a > b AS INT64) FROM t",
     "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END, CAST(a > b AS INT64) FROM ds.t",
     "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END, CAST(a > b AS BIGINT) FROM ds.t"),
    ("DATE_DIFF in days keeps its direction (a - b)",
     "SELECT DATE_DIFF(a, b, DAY) FROM t",
     "SELECT DATE_DIFF(a, b, DAY) FROM ds.t",
     "SELECT DATE_DIFF('DAY', b, a) FROM ds.t"),
    ("window functions keep BigQuery's NULLS FIRST of an ascending order",
     "SELECT LAG(c) OVER (PARTITION BY s ORDER BY d), NTILE(10) OVER (PARTITION BY s "
     "ORDER BY v) FROM t QUALIFY DENSE_RANK() OVER (PARTITION BY s ORDER BY d) <= 3",
     "SELECT LAG(c) OVER (PARTITION BY s ORDER BY d), NTILE(10) OVER (PARTITION BY s "
     "ORDER BY v) FROM ds.t QUALIFY DENSE_RANK() OVER (PARTITION BY s ORDER BY d) <= 3",
     "SELECT LAG(c) OVER (PARTITION BY s ORDER BY d NULLS FIRST), NTILE(10) OVER "
     "(PARTITION BY s ORDER BY v NULLS FIRST) FROM ds.t QUALIFY DENSE_RANK() OVER "
     "(PARTITION BY s ORDER BY d NULLS FIRST) <= 3"),
    ("ANY_FEATURE without configured keys is its placeholder feature",
     "SELECT COUNTIF(ANY_FEATURE(fx_value = 0)) AS n FROM t",
     "SELECT COUNTIF(ANY_FEATURE(fx_value = 0)) AS n FROM ds.t",
     "SELECT COALESCE(COUNT_IF((fx_value = 0)), 0) AS n FROM ds.t"),
    ("GREATEST and LEAST are NULL when an argument is, as on BigQuery; SQRT",
     "SELECT SQRT(GREATEST(a, 1.0)), LEAST(b, 3.0) FROM t",
     "SELECT SQRT(GREATEST(a, 1.0)), LEAST(b, 3.0) FROM ds.t",
     "SELECT SQRT(CASE WHEN a IS NULL OR 1.0 IS NULL THEN NULL ELSE GREATEST(a, 1.0) END), "
     "CASE WHEN b IS NULL OR 3.0 IS NULL THEN NULL ELSE LEAST(b, 3.0) END FROM ds.t"),
    ("table qualified by the dataset",
     "SELECT a FROM t",
     "SELECT a FROM ds.t",
     "SELECT a FROM ds.t"),
    ("a CTE is not a table",
     "WITH c AS (SELECT 1 AS a) SELECT * FROM c JOIN t USING (a)",
     "WITH c AS (SELECT 1 AS a) SELECT * FROM c JOIN ds.t USING (a)",
     "WITH c AS (SELECT 1 AS a) SELECT * FROM c JOIN ds.t USING (a)"),
    ("COUNTIF is 0, not NULL, over no rows",
     "SELECT COUNTIF(x > 1) AS n FROM t",
     "SELECT COUNTIF(x > 1) AS n FROM ds.t",
     "SELECT COALESCE(COUNT_IF(x > 1), 0) AS n FROM ds.t"),
    ("COUNTIF already under COALESCE is left alone",
     "SELECT COALESCE(COUNTIF(x), 0) AS n FROM t",
     "SELECT COALESCE(COUNTIF(x), 0) AS n FROM ds.t",
     "SELECT COALESCE(COUNT_IF(x), 0) AS n FROM ds.t"),
    ("JSON_VALUE is total on malformed text",
     "SELECT JSON_VALUE(f, '$.a') FROM t",
     "SELECT JSON_VALUE(f, '$.a') FROM ds.t",
     "SELECT CASE WHEN JSON_VALID(f) THEN JSON_EXTRACT_STRING(f, '$.a') END FROM ds.t"),
    ("JSON_TYPE of JSON_QUERY says 'malformed'",
     "SELECT JSON_TYPE(JSON_QUERY(f, '$.a')) FROM t",
     "SELECT JSON_TYPE(JSON_QUERY(f, '$.a')) FROM ds.t",
     "SELECT CASE WHEN CASE WHEN JSON_VALID(f) THEN JSON_EXTRACT(f, '$.a') END IS NULL "
     "THEN NULL WHEN JSON_VALID(CASE WHEN JSON_VALID(f) THEN JSON_EXTRACT(f, '$.a') END) "
     "THEN LOWER(JSON_TYPE(CASE WHEN JSON_VALID(f) THEN JSON_EXTRACT(f, '$.a') END)) "
     "ELSE 'malformed' END FROM ds.t"),
    ("numeric safety functions",
     "SELECT SAFE_DIVIDE(a, b), IS_NAN(x), IS_INF(x), SAFE_CAST(x AS FLOAT64), ABS(x), "
     "ROUND(x, 2), NULLIF(a, 0) FROM t",
     "SELECT SAFE_DIVIDE(a, b), IS_NAN(x), IS_INF(x), SAFE_CAST(x AS FLOAT64), ABS(x), "
     "ROUND(x, 2), NULLIF(a, 0) FROM ds.t",
     "SELECT CASE WHEN b <> 0 THEN a / b ELSE NULL END, ISNAN(x), ISINF(x), "
     "TRY_CAST(x AS DOUBLE), ABS(x), ROUND(x, 2), NULLIF(a, 0) FROM ds.t"),
    ("aggregates",
     "SELECT COUNT(*), SUM(a), MIN(a), MAX(a), AVG(a), ANY_VALUE(b), STDDEV_SAMP(a) FROM t",
     "SELECT COUNT(*), SUM(a), MIN(a), MAX(a), AVG(a), ANY_VALUE(b), STDDEV_SAMP(a) FROM ds.t",
     "SELECT COUNT(*), SUM(a), MIN(a), MAX(a), AVG(a), ANY_VALUE(b), STDDEV_SAMP(a) FROM ds.t"),
    ("STRING_AGG with DISTINCT and ORDER BY",
     "SELECT STRING_AGG(DISTINCT x, ',' ORDER BY x) FROM t",
     "SELECT STRING_AGG(DISTINCT x, ',' ORDER BY x) FROM ds.t",
     "SELECT LISTAGG(DISTINCT x, ',' ORDER BY x NULLS FIRST) FROM ds.t"),
    ("TRIM and a key built with CONCAT (NULL when a part is NULL, on both engines)",
     "SELECT LOWER(TRIM(s)), CONCAT(g, '|', CAST(d AS STRING)) FROM t",
     "SELECT LOWER(TRIM(s)), CONCAT(g, '|', CAST(d AS STRING)) FROM ds.t",
     "SELECT LOWER(TRIM(s)), g || '|' || CAST(d AS TEXT) FROM ds.t"),
    ("JSON text in and out",
     "SELECT TO_JSON_STRING(z), PARSE_JSON(w), LOWER(s) FROM t",
     "SELECT TO_JSON_STRING(z), PARSE_JSON(w), LOWER(s) FROM ds.t",
     "SELECT CAST(TO_JSON(z) AS TEXT), JSON(w), LOWER(s) FROM ds.t"),
    ("date and timestamp arithmetic with parameters",
     "SELECT TIMESTAMP_ADD(@t, INTERVAL 2 HOUR), DATE_SUB(@d, INTERVAL 3 DAY), DATE(ts), "
     "COALESCE(a, b) FROM t",
     "SELECT TIMESTAMP_ADD(@t, INTERVAL '2' HOUR), DATE_SUB(@d, INTERVAL '3' DAY), DATE(ts), "
     "COALESCE(a, b) FROM ds.t",
     "SELECT $t + INTERVAL '2' HOUR, $d - INTERVAL '3' DAY, CAST(ts AS DATE), "
     "COALESCE(a, b) FROM ds.t"),
    ("an interval from a parameter, BETWEEN, QUALIFY",
     "SELECT a FROM t WHERE d BETWEEN DATE_SUB(@d, INTERVAL @n DAY) AND @d "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY d DESC) = 1",
     "SELECT a FROM ds.t WHERE d BETWEEN DATE_SUB(@d, INTERVAL (@n) DAY) AND @d "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY d DESC) = 1",
     "SELECT a FROM ds.t WHERE d BETWEEN $d - INTERVAL ($n) DAY AND $d "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY d DESC) = 1"),
    ("IN UNNEST of an array parameter keeps BigQuery's NULL semantics",
     "SELECT x FROM t WHERE x IN UNNEST(@xs)",
     "SELECT x FROM ds.t WHERE x IN UNNEST(@xs)",
     "SELECT x FROM ds.t WHERE CASE WHEN $xs IS NULL OR ARRAY_LENGTH($xs) = 0 THEN FALSE "
     "WHEN ARRAY_CONTAINS($xs, x) THEN TRUE WHEN x IS NULL OR ARRAY_LENGTH($xs) <> "
     "LIST_COUNT($xs) THEN NULL ELSE FALSE END"),
    ("parallel array parameters as rows: BigQuery's 0-based OFFSET is DuckDB's 1-based "
     "ORDINALITY, and so is the index",
     "SELECT s, @b[OFFSET(i)] AS b FROM UNNEST(@a) AS s WITH OFFSET AS i",
     "SELECT s, @b[OFFSET(i)] AS b FROM UNNEST(@a) AS s WITH OFFSET AS i",
     "SELECT s, $b[i] AS b FROM UNNEST($a) WITH ORDINALITY AS _t0(s, i)"),
    ("a join on a NULL-safe equality, ROW_NUMBER without an order",
     "SELECT a FROM t JOIN u ON t.k IS NOT DISTINCT FROM u.k "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY a) = 1",
     "SELECT a FROM ds.t JOIN ds.u ON t.k IS NOT DISTINCT FROM u.k "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY a) = 1",
     "SELECT a FROM ds.t JOIN ds.u ON t.k IS NOT DISTINCT FROM u.k "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY a) = 1"),
    ("IF, AND, OR, a correlated EXISTS",
     "SELECT IF(a > 0, 'x', 'y') FROM t WHERE a > 0 AND (b OR c) "
     "AND EXISTS (SELECT 1 FROM u WHERE u.k = t.k)",
     "SELECT IF(a > 0, 'x', 'y') FROM ds.t WHERE a > 0 AND (b OR c) "
     "AND EXISTS(SELECT 1 FROM ds.u WHERE u.k = t.k)",
     "SELECT CASE WHEN a > 0 THEN 'x' ELSE 'y' END FROM ds.t WHERE a > 0 AND (b OR c) "
     "AND EXISTS(SELECT 1 FROM ds.u WHERE u.k = t.k)"),
    ("CURRENT_TIMESTAMP",
     "SELECT CURRENT_TIMESTAMP()",
     "SELECT CURRENT_TIMESTAMP()",
     "SELECT CURRENT_TIMESTAMP"),
    ("INSERT with parameters",
     "INSERT INTO t (a, b) VALUES (@a, @b)",
     "INSERT INTO ds.t (a, b) VALUES (@a, @b)",
     "INSERT INTO ds.t (a, b) VALUES ($a, $b)"),
    ("MERGE",
     "MERGE t AS x USING (SELECT @k AS k) AS s ON x.k = s.k "
     "WHEN NOT MATCHED THEN INSERT (k) VALUES (s.k)",
     "MERGE INTO ds.t AS x USING (SELECT @k AS k) AS s ON x.k = s.k "
     "WHEN NOT MATCHED THEN INSERT (k) VALUES (s.k)",
     "MERGE INTO ds.t AS x USING (SELECT $k AS k) AS s ON x.k = s.k "
     "WHEN NOT MATCHED THEN INSERT (k) VALUES (s.k)"),
    ("CREATE TABLE drops BigQuery's storage options on DuckDB",
     "CREATE TABLE IF NOT EXISTS t (a INT64, d DATE) PARTITION BY d CLUSTER BY a "
     "OPTIONS (description='x')",
     "CREATE TABLE IF NOT EXISTS ds.t (a INT64, d DATE) PARTITION BY d CLUSTER BY a "
     "OPTIONS (description='x')",
     "CREATE TABLE IF NOT EXISTS ds.t (a BIGINT, d DATE)"),
]


@pytest.mark.parametrize("construct, written, bigquery, duckdb", CASES,
                         ids=[c[0] for c in CASES])
def test_construct(construct: str, written: str, bigquery: str, duckdb: str) -> None:
    assert to_bigquery(written, "ds") == (bigquery,)
    assert to_duckdb(written, "ds") == (duckdb,)


def test_alter_table_with_several_actions_is_split_for_duckdb() -> None:
    sql = "ALTER TABLE t ADD COLUMN IF NOT EXISTS a STRING, ADD COLUMN IF NOT EXISTS b INT64"
    assert to_bigquery(sql, "ds") == (
        "ALTER TABLE ds.t ADD COLUMN IF NOT EXISTS a STRING, ADD COLUMN IF NOT EXISTS b INT64",)
    assert to_duckdb(sql, "ds") == ("ALTER TABLE ds.t ADD COLUMN IF NOT EXISTS a TEXT",
                                    "ALTER TABLE ds.t ADD COLUMN IF NOT EXISTS b BIGINT")


def test_several_statements_stay_in_order() -> None:
    assert to_duckdb("SELECT 1 AS a; SELECT b FROM t", "ds") == ("SELECT 1 AS a",
                                                                  "SELECT b FROM ds.t")


def test_configured_table_names_replace_the_contract_names() -> None:
    renames = (("game_schedule", "league.calendar"),)
    sql = "SELECT g.d FROM game_schedule AS g JOIN c USING (d)"
    assert to_duckdb(sql, "ds", renames) == (
        "SELECT g.d FROM league.calendar AS g JOIN ds.c USING (d)",)
    assert with_renames(sql, renames) == "SELECT g.d FROM league.calendar AS g JOIN c USING (d)"
    # A configured name without a dataset goes into the monitor's dataset.
    assert to_duckdb("SELECT d FROM game_schedule", "ds", (("game_schedule", "cal"),)) == (
        "SELECT d FROM ds.cal",)
    # A CTE of the same name is not the table.
    cte = "WITH game_schedule AS (SELECT 1 AS d) SELECT d FROM game_schedule"
    assert to_duckdb(cte, "ds", renames) == (cte,)
    # A file that names no renamed table is sent exactly as written.
    assert with_renames("SELECT d  FROM other", renames) == "SELECT d  FROM other"


def _functions(sql: str) -> set[str]:
    return {type(node).__name__ if not isinstance(node, exp.Anonymous) else node.name.upper()
            for tree in parse_bigquery(sql) for node in tree.find_all(exp.Func)}


def test_every_function_the_queries_use_has_a_string_test() -> None:
    used = set().union(*(_functions(p.read_text()) for p in (ROOT / "queries").rglob("*.sql")))
    covered = set().union(*(_functions(case[1]) for case in CASES))
    missing = sorted(used - covered)
    assert not missing, "add a case to CASES in tests/test_sql_dialect.py for: " + ", ".join(
        missing)
