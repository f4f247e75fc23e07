"""The DuckDB file: opening it (one writer at a time), its schema, and the SQL files under sql/.

Only `store` code touches DuckDB. The tables come from `sql/00_tables.sql` and the other
`sql/0N_*.sql` files; the views are plain SQL files (`sql/NN_name.sql`, NN from 10), one view per
file, each with a header that states its contract; `apply_schema` runs them in order, checks each
header against the view's real columns, and records the grain with COMMENT ON VIEW.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from correlate.errors import DatabaseBusy, DatabaseMissing, ViewError

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = "5"  # 3: changes carries its categories, target groups and classic; 4: reverts; 5: feed events
WAIT_POLL = 0.2  # seconds between attempts while --wait waits for the lock


def sql_dir() -> Path:
    """sql/ beside the package in a source checkout; correlate/sql inside an installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "sql", here.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("correlate's sql/ folder is missing from the installation")


@dataclass(frozen=True, slots=True)
class ViewFile:
    path: Path
    name: str
    grain: str
    columns: tuple[str, ...]
    sql: str


def read_header(text: str, keys: tuple[str, ...]) -> dict[str, str]:
    """The `-- key: value` lines a SQL file starts with (for the given keys); a following line
    `--   more` (three spaces) continues the value before it."""
    pattern = re.compile(rf"^--\s*({'|'.join(keys)}):\s*(.*)$")
    header: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        match = pattern.match(line)
        if match:
            last = match.group(1)
            header[last] = match.group(2).strip()
        elif last is not None and line.startswith("--   "):
            header[last] += " " + line[2:].strip()
        else:
            last = None
    return header


def read_view_file(path: Path) -> ViewFile:
    """Parse a view file's header comment (view, grain, sources, columns)."""
    text = path.read_text()
    header = read_header(text, ("view", "grain", "sources", "columns"))
    missing = {"view", "grain", "columns"} - header.keys()
    if missing:
        raise ViewError(f"{path.name}: header lacks {', '.join(sorted(missing))}")
    columns = tuple(column.strip() for column in header["columns"].split(",") if column.strip())
    return ViewFile(path, header["view"], header["grain"], columns, text)


def schema_files() -> list[str]:
    """The schema files, 00_ to 09_, in order."""
    return [path.name for path in sorted(sql_dir().glob("0[0-9]_*.sql"))]


@cache
def view_files() -> tuple[ViewFile, ...]:
    return tuple(
        read_view_file(path) for path in sorted(sql_dir().glob("[0-9][0-9]_*.sql")) if not path.name.startswith("0")
    )


@cache
def statements(relative: str) -> tuple[duckdb.Statement, ...]:
    """The statements of one SQL file under sql/, parsed once."""
    return tuple(duckdb.extract_statements((sql_dir() / relative).read_text()))


class Database:
    """A DuckDB connection with correlate's schema in place."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(
        cls,
        path: str,
        *,
        read_only: bool = False,
        wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> Database:
        """Open (or create) the database. While another process holds it (a writer; or, for a
        writer, any process), retry for `wait` seconds (telling `on_wait` once who holds it), then raise
        `DatabaseBusy` naming the process and what it is doing."""
        in_memory = path == ":memory:"
        if read_only and not in_memory and not Path(path).exists():
            raise DatabaseMissing(
                f"No database at {path}. Load some data first (correlate ingest logs DIR, or "
                "correlate demo), or point --db / CORRELATE_DB at an existing file."
            )
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                con = duckdb.connect(path, read_only=read_only and not in_memory)
                break
            except duckdb.IOException as error:
                message = str(error)
                if "lock" not in message.lower():
                    raise DatabaseMissing(f"Cannot open the database {path}: {message}") from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DatabaseBusy(path, _holder(path, message, read_only), wait) from None
                if on_wait is not None and not told:
                    on_wait(_holder(path, message, read_only))
                    told = True
                time.sleep(min(WAIT_POLL, left))
        database = cls(con, path, read_only and not in_memory)
        if not database.read_only:
            database.apply_schema()
        else:
            database.check_schema()
        return database

    def close(self) -> None:
        self.con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all (a killed process leaves nothing)."""
        self.con.execute("begin transaction")
        try:
            yield
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("rollback")
            raise
        self.con.execute("commit")

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------

    def apply_schema(self) -> None:
        if self._ledger_keyed_by_file():
            with self.transaction():
                self.run_file("migrate/ledger_per_command.sql")
                self.run_file("00_tables.sql")
                self.run_file("migrate/ledger_copy.sql")
        for name in schema_files():
            self.run_file(name)
        self.con.execute("insert or replace into correlate_meta values ('schema_version', ?)", [SCHEMA_VERSION])
        for view in view_files():
            self.create_view(view)

    def _ledger_keyed_by_file(self) -> bool:
        """True for a database whose ingested_files predates the per-command ledgers."""
        row = self.con.execute(
            "select constraint_column_names from duckdb_constraints() "
            "where table_name = 'ingested_files' and constraint_type = 'PRIMARY KEY'"
        ).fetchone()
        return row is not None and list(row[0]) == ["source_file"]

    def check_schema(self) -> None:
        try:
            found = self.con.execute("select value from correlate_meta where key = 'schema_version'").fetchone()
        except duckdb.CatalogException:
            found = None
        if found is None or found[0] != SCHEMA_VERSION:
            raise DatabaseMissing(
                f"{self.path} was not written by this version of correlate (schema "
                f"{found[0] if found else 'missing'}, expected {SCHEMA_VERSION}). "
                "Run any ingest command once to upgrade it, or use a new --db."
            )

    def create_view(self, view: ViewFile) -> None:
        try:
            self.con.execute(view.sql)
            described = self.con.execute(f"select * from {view.name} limit 0").description
            actual = tuple(column[0] for column in described or [])
        except duckdb.Error as error:
            raise ViewError(f"{view.path.name}: {error}") from None
        if actual != view.columns:
            raise ViewError(
                f"{view.path.name}: header lists columns {', '.join(view.columns)} but the view has {', '.join(actual)}"
            )
        self.con.execute(f"comment on view {view.name} is {_sql_string(view.grain)}")

    def run_file(self, relative: str, params: dict[str, Any] | None = None) -> list[int | None]:
        """Run each statement of sql/<relative>; returns the row count each one reports."""
        counts: list[int | None] = []
        for statement in statements(relative):
            wanted = statement.named_parameters
            bound = {name: (params or {}).get(name) for name in wanted} if wanted else None
            result = self.con.execute(statement, bound).fetchall() if bound else self.con.execute(statement).fetchall()
            counts.append(result[0][0] if result and len(result[0]) == 1 and isinstance(result[0][0], int) else None)
        return counts

    def run_file_with(self, name: str, table: pa.Table, relative: str) -> list[int | None]:
        """`run_file` with the Arrow `table` visible to its statements as `name`."""
        self.con.register(name, table)
        try:
            return self.run_file(relative)
        finally:
            with contextlib.suppress(duckdb.TransactionException):
                self.con.unregister(name)

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
        """Run one query; returns (column names, rows)."""
        cursor = self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        columns = [description[0] for description in cursor.description or []]
        return columns, cursor.fetchall()


def _holder(path: str, message: str, read_only: bool) -> str:
    """Who holds the lock, from DuckDB's message (`... held in /usr/bin/python3 (PID 123)`) and the
    process table. Readers share the file, so a reader that is refused met a writer; a writer that is
    refused met a writer, or a reader when opening read-only still works."""
    pid = re.search(r"PID (\d+)", message)
    program = re.search(r"held in (.+?) \(PID", message)
    command = _command_line(pid.group(1)) if pid else None
    who = "another process"
    if pid:
        who = f"process {pid.group(1)} ({command or (program.group(1) if program else 'unknown')})"
    if not read_only and _readable(path):
        return f"{who} has it open read-only, and nothing can write to it until that ends"
    return f"{who} is writing to it"


def _readable(path: str) -> bool:
    """The file opens read-only now: whoever holds it is a reader."""
    try:
        duckdb.connect(path, read_only=True).close()
    except duckdb.Error:
        return False
    return True


def _command_line(pid: str) -> str | None:
    """What the process runs, shortened: `correlate sql select ...` for a correlate command (started
    as a script or with python -m); None where the process table cannot be read (not Linux)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    words = [word.decode(errors="replace") for word in argv if word]
    for index, word in enumerate(words):
        if Path(word).name == "correlate":  # the console script, or python -m correlate
            words = ["correlate", *words[index + 1 :]]
            break
    text = " ".join(" ".join(words).split())
    return text if len(text) <= 80 else text[:79] + "…"


def _sql_string(text: str) -> str:
    """A SQL string literal; used only for COMMENT ON, which takes no parameters."""
    return "'" + text.replace("'", "''") + "'"
