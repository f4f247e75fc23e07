"""Pure-Python models built from parsed records, between parse and store: no I/O, no DuckDB."""
