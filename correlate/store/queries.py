"""Read-side queries the commands run: ad-hoc SQL and the views users look at."""

from __future__ import annotations

from typing import Any

import duckdb

from correlate.errors import CorrelateError
from correlate.store.database import Database


class QueryError(CorrelateError):
    """The user's SQL did not run."""


def run_sql(db: Database, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run the user's query; DuckDB's complaint becomes a one-line error."""
    try:
        return db.query(sql)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise QueryError(f"The query failed: {first}") from None


def load_balancers(db: Database) -> tuple[list[str], list[tuple[Any, ...]]]:
    return db.query("select * from load_balancers order by lb")
