"""The view SQL on Spark: sqlglot's translation, snapshotted, and the fix layer, proven on Spark
against DuckDB (constructs sqlglot alone translates wrongly must keep being fixed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from correlate.errors import ViewError
from correlate.spark.minutes import cell_views
from correlate.spark.translate import to_spark, view_to_spark

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "spark"
VALUES = [1.0, 2.0, 3.0, 4.0, 10.0, 250.0]


@pytest.mark.parametrize("view", cell_views(), ids=lambda view: view.name)
def test_generated_spark_sql_is_the_snapshot(view):
    """A new sqlglot (or a changed view) that translates differently shows up here first."""
    assert view_to_spark(view) + "\n" == (SNAPSHOTS / f"{view.name}.sql").read_text()


def test_fix_layer_output():
    assert to_spark("select quantile_cont(x, 0.99) as p from t") == "SELECT\n  PERCENTILE(x, 0.99) AS p\nFROM t"
    assert to_spark("select percentile_cont(0.5) within group (order by x) from t") == (
        "SELECT\n  PERCENTILE(x, 0.5)\nFROM t"
    )
    assert to_spark("select quantile_disc(x, 0.5) from t") == (
        "SELECT\n  PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY\n    x NULLS LAST)\nFROM t"
    )
    assert to_spark("select date_trunc('minute', ts) from t") == (
        "SELECT\n  CAST(DATE_TRUNC('MINUTE', ts) AS TIMESTAMP_NTZ)\nFROM t"
    )
    assert to_spark("select epoch(ts) from t") == "SELECT\n  UNIX_MICROS(ts) / 1e6\nFROM t"


def test_without_the_fix_layer_sqlglot_emits_the_wrong_functions():
    assert to_spark("select percentile_cont(0.5) within group (order by x) from t", fixes=()) == (
        "SELECT\n  PERCENTILE_APPROX(x, 0.5)\nFROM t"
    )
    assert to_spark("select quantile(x, 0.5) from t", fixes=()) == "SELECT\n  PERCENTILE(x, 0.5)\nFROM t"


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("select time_bucket(interval 5 minute, ts) from t", "time_bucket (Spark has no DATE_BIN)"),
        ("select * from a asof join b on a.t >= b.t", "ASOF JOIN (Spark has none)"),
        ("select list(x order by t) from a", "list()/array_agg (Spark's collect_list loses the order)"),
    ],
)
def test_constructs_without_a_faithful_translation_stop_it(sql, why):
    with pytest.raises(ViewError, match=r"^90_x\.sql: no faithful Spark translation for ") as raised:
        to_spark(sql, "90_x.sql")
    assert why in str(raised.value)


QUANTILES = {
    "cont_99": "quantile_cont(x, 0.99)",
    "cont_50": "percentile_cont(0.5) within group (order by x)",
    "disc_50": "quantile_disc(x, 0.5)",
    "disc_90": "quantile(x, 0.9)",
}


def duckdb_answers(select: str) -> dict[str, object]:
    con = duckdb.connect()
    con.execute("create table t as select unnest(?::double[]) as x, timestamp '2026-11-20 14:05:59.5' as ts", [VALUES])
    cursor = con.execute(select)
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


def spark_answers(spark, select: str, fixes=None) -> dict[str, object]:
    rows = [(value, dt.datetime(2026, 11, 20, 14, 5, 59, 500000)) for value in VALUES]
    spark.createDataFrame(rows, "x double, ts timestamp_ntz").createOrReplaceTempView("t")
    sql = to_spark(select) if fixes is None else to_spark(select, fixes=fixes)
    return spark.sql(sql).first().asDict()


def test_exact_quantiles_equal_duckdb_on_spark_only_with_the_fix_layer(spark):
    select = "select " + ", ".join(f"{sql} as {name}" for name, sql in QUANTILES.items()) + " from t"
    expected = duckdb_answers(select)
    assert expected == {"cont_99": pytest.approx(238.0), "cont_50": 3.5, "disc_50": 3.0, "disc_90": 250.0}
    assert spark_answers(spark, select) == expected
    # without it: the WITHIN GROUP form silently becomes approximate, quantile() interpolates ...
    wrong = spark_answers(
        spark, "select " + ", ".join(f"{QUANTILES[n]} as {n}" for n in ("cont_50", "disc_90")) + " from t", ()
    )
    assert wrong == {"cont_50": 3.0, "disc_90": 130.0}
    # ... and quantile_cont does not run at all
    from pyspark.errors import AnalysisException

    with pytest.raises(
        AnalysisException, match=r"The `percentile_cont` requires 1 parameters but the actual number is 2"
    ):
        spark_answers(spark, "select quantile_cont(x, 0.99) as p from t", ())


def test_minute_and_epoch_equal_duckdb_on_spark(spark):
    select = "select date_trunc('minute', ts) as minute, epoch(ts) as seconds from t limit 1"
    expected = duckdb_answers(select)
    assert expected == {"minute": dt.datetime(2026, 11, 20, 14, 5), "seconds": 1795183559.5}
    answers = spark_answers(spark, select)
    assert answers == expected
    frame = spark.sql(to_spark(select))
    assert frame.schema["minute"].dataType.typeName() == "timestamp_ntz"
    unfixed = spark.sql(to_spark(select, fixes=()))
    assert unfixed.schema["minute"].dataType.typeName() == "timestamp"  # a zoned instant in Parquet
    assert unfixed.first()["seconds"] == 1795183559  # the fraction dropped
