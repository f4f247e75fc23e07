"""The database and the lake (docs/lake.md): `correlate export` writes tables and views as
Hive-partitioned Parquet; the DDL of the lake; reading the lake back into DuckDB.

DuckDB writes each table's selected rows with one `COPY ... PARTITION_BY` into a local staging
folder, then each staged partition replaces its counterpart in the lake (`LakeFiles`). For tables
loaded from log objects the lake's rows of other objects in that partition are kept (written beside
the new rows as one more file); the rest are replaced whole. See `correlate.lake.layout`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from correlate.lake.layout import BY_NAME, DDL_PATH, SOURCES, TABLES, LakeTable, athena_ddl, days
from correlate.sources.lake import LakeFiles
from correlate.store.cells import LakeCells
from correlate.store.database import Database

# Parquet as every reader of the lake takes it: snappy, and row groups Spark and Athena split well.
PARQUET_OPTIONS = "format parquet, compression snappy, row_group_size 122880"


@dataclass(frozen=True, slots=True)
class LakeFilter:
    """What `correlate export` selects: one load balancer and/or whole days (a window is widened to
    the days it touches, because partitions are written whole)."""

    lb: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def parameters(self) -> dict[str, object]:
        first, last = days(self.since, self.until)
        return {"lb": self.lb, "first_day": first, "last_day": last}


@dataclass
class TableWrite:
    table: str
    partitions: int = 0
    rows: int = 0


@dataclass
class ExportSummary:
    root: str
    tables: list[TableWrite] = field(default_factory=list)

    def line(self) -> str:
        written = [table for table in self.tables if table.partitions]
        if not written:
            return f"Nothing to export: the database has no rows of the selection. {self.root} is unchanged."
        parts = ", ".join(f"{t.table} {t.rows:,} rows in {t.partitions:,} partitions" for t in written)
        return f"Exported to {self.root}: {parts}; Athena DDL in {self.root.rstrip('/')}/{DDL_PATH}"


def select_sql(con: duckdb.DuckDBPyConnection, table: LakeTable, relation: str) -> str:
    """SELECT of a table's rows with its partition keys computed (`relation` is a table or view
    name, or a parenthesised query). Columns keep the database's order."""
    columns = [row[0] for row in con.execute(f"describe select * from {relation} limit 0").fetchall()]
    computed = dict(zip(table.partition_by, table.partition_sql, strict=True))
    items = [f"{computed[name]} as {name}" if name in computed else _quote(name) for name in columns]
    items += [f"{sql} as {name}" for name, sql in computed.items() if name not in columns]
    return f"select {', '.join(items)} from {relation}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _where(table: LakeTable, params: dict[str, object]) -> list[str]:
    """The export filter: bound parameters $lb, $first_day, $last_day (NULL: no bound)."""
    conditions = []
    if "lb" in table.partition_by:
        conditions.append("($lb is null or lb = $lb)")
    if "day" in table.partition_by:
        day = table.partition_sql[table.partition_by.index("day")]
        conditions.append(f"($first_day is null or {day} >= $first_day)")
        conditions.append(f"($last_day is null or {day} <= $last_day)")
    if table.name == "rejects" and (params["lb"] or params["first_day"] or params["last_day"]):
        # rejects have no load balancer or time: those of the objects the selection takes rows from,
        # and of the objects whose AWS name says they belong to it
        exported = " union all ".join(
            f"select source_file from {name} where {' and '.join(_where(BY_NAME[name], params))}"
            for name in ("requests", "tls_connections", "connections", "health_checks")
        )
        named = (
            "select source_file from ingested_files where ($lb is null or lb = $lb) "
            "and ($first_day is null or cast(cast(interval_end as date) as string) >= $first_day) "
            "and ($last_day is null or cast(cast(interval_end as date) as string) <= $last_day)"
        )
        conditions.append(f"source_file in ({exported} union all {named})")
    return conditions


def export_lake(db: Database, lake: LakeFiles, selection: LakeFilter | None = None) -> ExportSummary:
    """Write the database's tables and per-minute cells, as selected, to the lake; then its DDL."""
    selection = selection or LakeFilter()
    params = selection.parameters()
    summary = ExportSummary(lake.root)
    for table in TABLES:
        conditions = _where(table, params)
        query = select_sql(db.con, table, table.name)
        if conditions:
            query += " where " + " and ".join(conditions)
        summary.tables.append(write_partitions(db.con, lake, table, query, params))
    write_ddl(db.con, lake)
    return summary


def write_partitions(
    con: duckdb.DuckDBPyConnection, lake: LakeFiles, table: LakeTable, query: str, params: dict[str, object]
) -> TableWrite:
    """COPY the query's rows (with their partition keys) to staging, then replace each partition
    they fall in (keeping other objects' rows where the table is loaded from objects)."""
    written = TableWrite(table.name)
    staging = lake.staging()
    try:
        out = staging / table.name
        keys = ", ".join(table.partition_by)
        # only the parameters the query names may be bound
        bound = {name: value for name, value in params.items() if f"${name}" in query}
        con.execute(
            f"copy ({query}) to '{_literal(out)}' ({PARQUET_OPTIONS}, partition_by ({keys}), "
            "filename_pattern 'part-{uuid}', overwrite_or_ignore)",
            bound or None,
        )
        for folder in _partitions(out, len(table.partition_by)):
            relative = folder.relative_to(out).as_posix()
            if table.replaces == SOURCES:
                _keep_other_sources(con, lake, table, relative, folder, staging)
            (rows,) = con.execute(
                "select count(*) from read_parquet(?, hive_partitioning = false)",
                [str(folder / "*.parquet")],
            ).fetchone()
            lake.replace_folder(f"{table.name}/{relative}", folder)
            written.partitions += 1
            written.rows += rows
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _partitions(root: Path, depth: int) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.glob("/".join(["*"] * depth)) if path.is_dir())


def _keep_other_sources(
    con: duckdb.DuckDBPyConnection, lake: LakeFiles, table: LakeTable, relative: str, folder: Path, scratch: Path
) -> None:
    """Add to the staged partition the lake's rows of that partition from objects not being written."""
    existing = lake.files(f"{table.name}/{relative}")
    if not existing:
        return
    paths = [str(path) for path in lake.local(existing, scratch / "_existing")]
    staged = [str(path) for path in folder.glob("*.parquet")]
    con.execute(
        f"copy (select * from read_parquet(?, hive_partitioning = false, union_by_name = true) "
        f"where source_file not in (select source_file from read_parquet(?, hive_partitioning = false))) "
        f"to '{_literal(folder / 'kept.parquet')}' ({PARQUET_OPTIONS})",
        [paths, staged],
    )
    if not con.execute("select count(*) from read_parquet(?)", [str(folder / "kept.parquet")]).fetchone()[0]:
        (folder / "kept.parquet").unlink()


def _literal(path: Path) -> str:
    """A path inside a SQL string literal (COPY takes no parameter for its target)."""
    return str(path).replace("'", "''")


# -- DDL ----------------------------------------------------------------------------------------


def stored_columns(con: duckdb.DuckDBPyConnection, table: LakeTable) -> list[tuple[str, str]]:
    """(name, DuckDB type) of the columns a table's Parquet files hold: all but its partition keys."""
    described = con.execute(f"describe select * from {table.name} limit 0").fetchall()
    return [(row[0], row[1]) for row in described if row[0] not in table.partition_by]


def lake_ddl(con: duckdb.DuckDBPyConnection, location: str) -> str:
    return athena_ddl(location, [(table, stored_columns(con, table)) for table in TABLES])


def write_ddl(con: duckdb.DuckDBPyConnection, lake: LakeFiles) -> None:
    """`_ddl/athena.sql`: the Athena/Glue DDL for the lake at its own location."""
    lake.write_text(DDL_PATH, lake_ddl(con, lake.root))


# -- reading ------------------------------------------------------------------------------------


def read_sql(files: Sequence[Path | str]) -> str:
    """A FROM item over a table's Parquet files with its partition keys as strings."""
    listed = ", ".join(f"'{_literal(Path(file))}'" for file in files)
    return f"read_parquet([{listed}], hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"


@contextlib.contextmanager
def lake_database(
    lake: LakeFiles,
    lb: str | None = None,
    first_day: str | None = None,
    last_day: str | None = None,
    fallback: str | None = None,
) -> Iterator[Database]:
    """An in-memory database with correlate's schema in which each table and view the lake holds
    reads the lake's partitions of `lb` (all when None) between the days given, with the
    database's columns (the partition key `day` is left out). Tables the lake lacks (the ledger
    `ingested_files`, say, or `changes` when Spark wrote the lake) come from the database file
    `fallback` when given, else are empty. The views over `requests` (lb_minute, ...) then read the lake's requests."""
    scratch = Path(tempfile.mkdtemp(prefix="correlate-lake-read-"))
    db = Database.open(":memory:")
    db.path = lake.root
    try:
        if fallback is not None:
            db.con.execute("attach ? as fallback (read_only)", [fallback])
        kinds = dict(db.con.execute("select table_name, table_type from information_schema.tables").fetchall())
        for name, kind in kinds.items():
            table = BY_NAME.get(name)
            files = [f for f in lake.files(name) if _wanted(table, f, lb, first_day, last_day)] if table else []
            if files:
                dropped = " exclude (day)" if "day" in table.partition_by else ""
                source = f"select *{dropped} from {read_sql(lake.local(files, scratch))}"
            elif fallback is not None and kind == "BASE TABLE" and name != "correlate_meta":
                source = f"select * from fallback.{name}"
            else:
                continue
            if kind == "BASE TABLE":
                db.con.execute(f"drop table {name}")
            db.con.execute(f"create or replace view {name} as {source}")
        yield db
    finally:
        db.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _wanted(table: LakeTable, file: str, lb: str | None, first_day: str | None, last_day: str | None) -> bool:
    """Whether a file's partition (from its path) is inside the selection: partition pruning by path."""
    keys = dict(part.split("=", 1) for part in file.split("/")[1:-1] if "=" in part)
    if lb is not None and "lb" in table.partition_by and keys.get("lb") != lb:
        return False
    day = keys.get("day")
    if day is None:
        return True
    return (first_day is None or day >= first_day) and (last_day is None or day <= last_day)


def write_ddl_for(lake: LakeFiles) -> None:
    """The lake's DDL, from the schema of a fresh database (for writers that have none open)."""
    with Database.open(":memory:") as db:
        write_ddl(db.con, lake)


@contextlib.contextmanager
def lake_cells(
    lake: LakeFiles, lb: str, since: dt.datetime | None, until: dt.datetime | None, db_path: str | None = None
) -> Iterator[LakeCells]:
    """The timeline's inputs from the lake: its cells of `lb` on the days of the window (all days
    when open), and its changes, or those of the database at `db_path` when the lake has none."""
    lake.require(
        "latency_cells",
        f"compute the cells first (correlate spark minutes --lake {lake.root}, or correlate export {lake.root}).",
    )
    first, last = days(since, until)
    fallback = db_path if db_path and db_path != ":memory:" and Path(db_path).exists() else None
    with lake_database(lake, lb, first, last, fallback) as db:
        yield LakeCells(db)
