"""The view SQL of `sql/`, written once for DuckDB, translated for Spark with sqlglot plus a fix layer.

sqlglot translates most of DuckDB's SQL faithfully, but some constructs come out wrong without a
warning (measured facts in docs/spark.md): an exact quantile becomes `PERCENTILE_APPROX` (some
20 % off) or a function Spark lacks, and `date_trunc` on a zone-less timestamp comes back as a
session-zone `TIMESTAMP`, which Parquet then stores as an instant, not the UTC wall time the lake
holds. Each rule below rewrites one such construct in the DuckDB syntax tree before Spark SQL is
generated, into Spark functions with DuckDB's meaning; constructs with no faithful rewrite stop the
translation with the view file's name, rather than run with other answers.

sqlglot is pinned exactly (pyproject.toml): tests/snapshots/spark/ holds the SQL it generates for
every view Spark runs, so a new version that translates differently fails a test before it changes
an answer; tests/test_spark_translate.py runs each rule on Spark against DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from correlate.errors import ViewError
from correlate.store.database import ViewFile


def _function(name: str, *args: exp.Expression) -> exp.Expression:
    """A Spark function call sqlglot leaves as written (its own mapping of percentiles is the bug)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _ascending(order: exp.Order, what: str) -> exp.Expression:
    (ordered,) = order.expressions
    if ordered.args.get("desc"):
        raise _Untranslatable(f"{what} over a descending order")
    return ordered.this


def exact_quantile(node: exp.Expression) -> exp.Expression:
    """quantile_cont(x, p) and percentile_cont(p) WITHIN GROUP (ORDER BY x) are DuckDB's exact,
    interpolated quantile, which is Spark's `percentile(x, p)`. Left to sqlglot, the first becomes
    PERCENTILE_CONT(x, p) (an error in Spark) and the second PERCENTILE_APPROX (wrong answers)."""
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        return _function("percentile", _ascending(node.expression, "percentile_cont"), node.this.this)
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return _function("percentile", node.this, node.expression)
    return node


def discrete_quantile(node: exp.Expression) -> exp.Expression:
    """quantile(x, p), quantile_disc(x, p) and percentile_disc(p) WITHIN GROUP (ORDER BY x): the
    exact value at rank ceil(p * n), which Spark writes `percentile_disc(p) WITHIN GROUP (ORDER BY
    x)`. Left to sqlglot they become PERCENTILE (interpolating), an error, or PERCENTILE_APPROX."""
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileDisc):
        value = _ascending(node.expression, "percentile_disc")
        fraction = node.this.this
    elif isinstance(node, exp.Quantile):
        value, fraction = node.this, node.args["quantile"]
    elif isinstance(node, exp.PercentileDisc) and node.expression is not None:
        value, fraction = node.this, node.expression
    else:
        return node
    order = exp.Order(expressions=[exp.Ordered(this=value.copy(), nulls_first=False)])
    return exp.WithinGroup(this=_function("percentile_disc", fraction.copy()), expression=order)


def zoneless_trunc(node: exp.Expression) -> exp.Expression:
    """date_trunc on a TIMESTAMP: DuckDB keeps it zone-less; Spark returns a session-zone TIMESTAMP,
    which Parquet stores as an instant. Cast back to TIMESTAMP_NTZ so both lakes hold the same type."""
    if isinstance(node, exp.TimestampTrunc) and not isinstance(node.parent, exp.Cast):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
    return node


def exact_epoch(node: exp.Expression) -> exp.Expression:
    """epoch(ts), seconds with the fraction: sqlglot writes UNIX_TIMESTAMP, which drops the fraction."""
    if isinstance(node, exp.TimeToUnix):
        return exp.Div(this=_function("unix_micros", node.this), expression=exp.Literal.number("1e6"))
    return node


class _Untranslatable(Exception):
    pass


# DuckDB constructs Spark has no faithful translation of (sqlglot emits them anyway).
_REFUSED: dict[type[exp.Expression], str] = {
    exp.DateBin: "time_bucket (Spark has no DATE_BIN): use date_trunc or arithmetic on epoch seconds",
    exp.StrToTime: "strptime (sqlglot's Spark format differs): parse times when loading",
    exp.ArrayAgg: "list()/array_agg (Spark's collect_list loses the order)",
}


def refuse(node: exp.Expression) -> exp.Expression:
    """Stop on constructs that would run on Spark with other answers, or not at all."""
    for kind, why in _REFUSED.items():
        if isinstance(node, kind):
            raise _Untranslatable(why)
    if isinstance(node, exp.Join) and (node.args.get("method") or "").upper() == "ASOF":
        raise _Untranslatable("ASOF JOIN (Spark has none): use a range join and row_number()")
    return node


FIXES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    refuse,
    exact_quantile,
    discrete_quantile,
    zoneless_trunc,
    exact_epoch,
)


def to_spark(
    sql: str, name: str = "query", fixes: tuple[Callable[[exp.Expression], exp.Expression], ...] = FIXES
) -> str:
    """DuckDB SQL (one SELECT, or a CREATE VIEW ... AS SELECT) as Spark SQL: the SELECT only, after
    the fix layer (`fixes=()` shows what sqlglot alone makes of it)."""
    try:
        (tree,) = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise ViewError(f"{name}: sqlglot cannot read it: {error}") from None
    if isinstance(tree, exp.Create):
        tree = tree.expression
    try:
        for fix in fixes:
            tree = tree.transform(fix)
    except _Untranslatable as why:
        raise ViewError(f"{name}: no faithful Spark translation for {why}") from None
    return tree.sql(dialect="spark", pretty=True, comments=False)


def view_to_spark(view: ViewFile) -> str:
    return to_spark(view.sql, view.path.name)
