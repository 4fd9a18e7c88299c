"""BigQuery SQL → other engines. The single place where engine differences are fixed.

queries/ is written in BigQuery Standard SQL. Each backend asks this module for
the statement it should run; nothing else in the monitor names an engine.

DuckDB statements are cached on disk (see `to_duckdb`), so a warm run never imports
sqlglot: its import and the transpiling were most of a DuckDB validate-daily. sqlglot
is therefore imported inside the functions that need it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp


def parse_bigquery(sql: str) -> list[exp.Expr]:
    import sqlglot

    return [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]


def _cte_names(tree: exp.Expr) -> set[str]:
    from sqlglot import exp

    return {cte.alias_or_name for cte in tree.find_all(exp.CTE)}


def qualify_dataset(tree: exp.Expr, dataset: str) -> exp.Expr:
    """Put unqualified table names into `dataset` (a DuckDB schema or a BigQuery dataset).

    Done on the AST so a dataset name never reaches the SQL through string formatting.
    """
    from sqlglot import exp

    ctes = _cte_names(tree)
    for table in tree.find_all(exp.Table):
        if not table.args.get("db") and table.name and table.name not in ctes:
            table.set("db", exp.to_identifier(dataset))
    return tree


# The critical features a per-feature query is expanded for (None: as written).
FeatureKeys = tuple[str, ...] | None
# Contract table → configured table (`name` or `dataset.name`), e.g. the calendar.
Renames = tuple[tuple[str, str], ...]


def rename_tables(tree: exp.Expr, renames: Renames) -> exp.Expr:
    """Point the contract's table names at the configured ones, on the AST (a configured
    name never reaches the SQL through string formatting)."""
    from sqlglot import exp

    mapping = dict(renames)
    if not mapping:
        return tree
    ctes = _cte_names(tree)
    for table in tree.find_all(exp.Table):
        if table.args.get("db") or table.name not in mapping or table.name in ctes:
            continue
        db, _, name = mapping[table.name].rpartition(".")
        table.set("this", exp.to_identifier(name))
        if db:
            table.set("db", exp.to_identifier(db))
    return tree


def _json_guard(arg: exp.Expr, then: exp.Expr) -> exp.Expr:
    from sqlglot import exp

    return exp.Case(
        ifs=[exp.If(this=exp.Anonymous(this="json_valid", expressions=[arg.copy()]), true=then)]
    )


def _fix_json_for_duckdb(tree: exp.Expr) -> exp.Expr:
    """Make JSON functions total on DuckDB.

    BigQuery's JSON column cannot hold malformed text, so JSON_VALUE / JSON_QUERY /
    JSON_TYPE never fail there. A DuckDB VARCHAR column can, and DuckDB's json
    functions then raise, failing the whole check. Guard them with json_valid():
    JSON_TYPE reports 'malformed', the extractors return NULL.
    sqlglot also renders JSON_VALUE as `JSON_VALUE(x, p) ->> '$'`, which DuckDB
    rejects for non-scalars; json_extract_string is the DuckDB equivalent.
    """
    from sqlglot import exp

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.JSONType):
            # JSON_TYPE(JSON_QUERY(...)): guard the inner extractor too.
            arg = node.this.copy().transform(rewrite)
            typed = exp.Lower(this=exp.Anonymous(this="json_type", expressions=[arg.copy()]))
            return exp.Case(
                ifs=[
                    exp.If(this=exp.Is(this=arg.copy(), expression=exp.Null()), true=exp.Null()),
                    exp.If(
                        this=exp.Anonymous(this="json_valid", expressions=[arg.copy()]),
                        true=typed,
                    ),
                ],
                default=exp.Literal.string("malformed"),
            )
        if isinstance(node, exp.JSONExtractScalar | exp.JSONExtract):
            path = node.expression
            path_sql = exp.Literal.string(path.sql("bigquery").strip("'"))
            scalar = isinstance(node, exp.JSONExtractScalar)
            fn = "json_extract_string" if scalar else "json_extract"
            return _json_guard(
                node.this, exp.Anonymous(this=fn, expressions=[node.this.copy(), path_sql])
            )
        return node

    return tree.transform(rewrite)


def _total_countif(tree: exp.Expr) -> exp.Expr:
    """BigQuery's COUNTIF is 0 over rows whose condition is only NULL; DuckDB's
    COUNT_IF is NULL there, which turned "no evidence" into a crash in Python."""
    from sqlglot import exp

    for node in list(tree.find_all(exp.CountIf)):
        if isinstance(node.parent, exp.Coalesce):
            continue
        total = exp.Coalesce(this=node.copy(), expressions=[exp.Literal.number(0)])
        node.replace(total)
    return tree


def _strip_bigquery_storage_options(tree: exp.Expr) -> exp.Expr:
    """PARTITION BY / CLUSTER BY / OPTIONS are BigQuery storage layout; DuckDB has no
    equivalent (it prunes by zone maps when rows arrive in date order)."""
    from sqlglot import exp

    props = tree.args.get("properties")
    if isinstance(props, exp.Properties):
        keep = [
            p
            for p in props.expressions
            if not isinstance(p, exp.PartitionedByProperty | exp.ClusterProperty | exp.Property)
        ]
        props.set("expressions", keep)
        if not keep:
            tree.set("properties", None)
    return tree


def _split_alter(tree: exp.Expr) -> list[exp.Expr]:
    """DuckDB accepts one action per ALTER TABLE; BigQuery's seed DDL adds several."""
    from sqlglot import exp

    if isinstance(tree, exp.Alter) and len(tree.args.get("actions") or []) > 1:
        parts: list[exp.Expr] = []
        for action in tree.args["actions"]:
            single = tree.copy()
            single.set("actions", [action.copy()])
            parts.append(single)
        return parts
    return [tree]


def transpile_duckdb(sql: str, dataset: str, renames: Renames = (),
                     keys: FeatureKeys = None) -> tuple[str, ...]:
    """BigQuery SQL text → DuckDB statements, transpiled now (no cache); `keys`: the
    critical features a per-feature query is expanded for (see `expand_for`)."""
    out: list[str] = []
    for tree in parse_bigquery(expand_for(sql, keys)):
        tree = qualify_dataset(rename_tables(tree, renames), dataset)
        tree = _fix_json_for_duckdb(tree)
        tree = _total_countif(tree)
        tree = _strip_bigquery_storage_options(tree)
        for part in _split_alter(tree):
            out.append(part.sql("duckdb"))
    return tuple(out)


@lru_cache(maxsize=512)
def to_duckdb(sql: str, dataset: str, renames: Renames = (), keys: FeatureKeys = None,
              cache: Path | None = None) -> tuple[str, ...]:
    """BigQuery SQL text → DuckDB statements: transpiled once per content and kept in
    the `cache` folder (None: none on disk), then in memory for the process. The
    feature expansion happens inside, so a warm run needs no parser either."""
    if cache is None:
        return transpile_duckdb(sql, dataset, renames, keys)
    path = cache / f"{sql_cache_key(sql, dataset, renames, keys)}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, list) and all(isinstance(s, str) for s in cached):
            return tuple(cached)
    except (OSError, ValueError):
        pass  # not cached yet, or a torn/foreign file: transpile and rewrite it
    statements = transpile_duckdb(sql, dataset, renames, keys)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(list(statements)), encoding="utf-8")
        partial.replace(path)  # atomic: a concurrent reader sees all or nothing
    except OSError:
        pass  # a read-only home only costs the next run the transpile
    return statements


def sql_cache_key(sql: str, dataset: str, renames: Renames, keys: FeatureKeys = None) -> str:
    """Everything the DuckDB text depends on: the file's text, the dataset, the
    configured table names and critical features, the sqlglot version and this
    module's own rewrites."""
    parts = [_transpiler_identity(), dataset, json.dumps(renames), json.dumps(keys), sql]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@lru_cache(maxsize=1)
def _transpiler_identity() -> str:
    from importlib.metadata import version

    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return f"sqlglot {version('sqlglot')} rewrites {source}"


@lru_cache(maxsize=512)
def to_bigquery(sql: str, dataset: str) -> tuple[str, ...]:
    """BigQuery SQL with tables qualified by the dataset (project from the job)."""
    return tuple(qualify_dataset(t, dataset).sql("bigquery") for t in parse_bigquery(sql))


@lru_cache(maxsize=512)
def with_renames(sql: str, renames: Renames) -> str:
    """BigQuery SQL with configured table names; the file as written when none applies."""
    if not renames or not any(old in sql for old, _ in renames):
        return sql
    return ";\n".join(rename_tables(t, renames).sql("bigquery") for t in parse_bigquery(sql))


# Per-feature columns of a query (queries/feature_defaults.sql): a projection aliased
# `fx_*` is written once for a placeholder feature whose JSON path is `$.fx`, and is
# repeated here for each configured critical feature i as `f{i}_*`, with its `fx_*`
# columns and `@fx_*` parameters renamed alike. ANY_FEATURE(e) is e OR'ed over them.
# Done on the AST so a configured key reaches SQL only as a validated JSON path key.
FEATURE_KEYS_PARAM = "feature_keys"
FEATURE_PLACEHOLDER = "fx"
_SAFE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def is_safe_feature_key(key: str) -> bool:
    """A JSON member name that needs no quoting in a JSONPath: letters, digits, `_`."""
    return bool(_SAFE_KEY.fullmatch(key))  # `$` of match() also takes a trailing newline


def _for_feature(node: exp.Expr, index: int, key: str) -> exp.Expr:
    from sqlglot import exp

    prefix = f"{FEATURE_PLACEHOLDER}_"

    def rename(name: str) -> str:
        return f"f{index}_{name[len(prefix):]}" if name.startswith(prefix) else name

    def rewrite(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and n.name.startswith(prefix):
            return exp.column(rename(n.name), table=n.table or None)
        if isinstance(n, exp.Parameter) and n.name.startswith(prefix):
            return exp.Parameter(this=exp.var(rename(n.name)))
        if isinstance(n, exp.JSONPathKey) and n.this == FEATURE_PLACEHOLDER:
            return exp.JSONPathKey(this=key)
        if isinstance(n, exp.Alias) and n.alias.startswith(prefix):
            n.set("alias", exp.to_identifier(rename(n.alias)))
        return n

    return node.copy().transform(rewrite)


def _any_feature(node: exp.Expr, keys: tuple[str, ...] | None) -> exp.Expr:
    from sqlglot import exp

    if not (isinstance(node, exp.Anonymous) and str(node.this).upper() == "ANY_FEATURE"):
        return node
    (inner,) = node.expressions
    if keys is None:  # the file as written: its placeholder is the one feature
        return exp.paren(inner.copy(), copy=False)
    parts = [exp.paren(_for_feature(inner, i, k), copy=False) for i, k in enumerate(keys)]
    return exp.paren(exp.or_(*parts), copy=False) if parts else exp.false()


@lru_cache(maxsize=64)
def expand_features(sql: str, keys: tuple[str, ...] | None) -> str:
    """BigQuery SQL with the `fx_*` projections repeated once per key (see above); with
    no keys, the placeholder feature alone (the file runs as written)."""
    from sqlglot import exp

    if keys is None:
        return ";\n".join(t.transform(lambda n: _any_feature(n, None)).sql(
            "bigquery", comments=False) for t in parse_bigquery(sql))
    bad = [k for k in keys if not is_safe_feature_key(k)]
    if bad:
        raise ValueError(f"unsafe critical feature key(s) {bad!r}: use letters, digits and _")
    prefix = f"{FEATURE_PLACEHOLDER}_"
    out: list[str] = []
    for tree in parse_bigquery(sql):
        for select in list(tree.find_all(exp.Select)):
            projections: list[exp.Expr] = []
            for projection in select.expressions:
                if projection.alias_or_name.startswith(prefix):
                    projections += [_for_feature(projection, i, k) for i, k in enumerate(keys)]
                else:
                    projections.append(projection)
            select.set("expressions", projections)
        tree = tree.transform(lambda n: _any_feature(n, keys))
        # Without comments: a projection's comment would be repeated once per feature.
        out.append(tree.sql("bigquery", comments=False))
    return ";\n".join(out)


def feature_keys(params: Mapping[str, object]) -> FeatureKeys:
    """The critical features a call names (`feature_keys`), or None."""
    keys = params.get(FEATURE_KEYS_PARAM)
    if keys is None:
        return None
    if not isinstance(keys, tuple | list) or not all(isinstance(k, str) for k in keys):
        raise TypeError(f"{FEATURE_KEYS_PARAM} must be a sequence of feature keys")
    return tuple(keys)


def expand_for(sql: str, keys: FeatureKeys) -> str:
    """The BigQuery SQL a query runs as: its per-feature projections expanded for `keys`,
    the file as written when it has none."""
    if keys is None:
        return expand_features(sql, None) if "ANY_FEATURE" in sql else sql
    return expand_features(sql, keys)


def statement_text(sql: str, params: Mapping[str, object]) -> str:
    """The BigQuery SQL a named query runs as, for the call's parameters."""
    return expand_for(sql, feature_keys(params))
