-- migrate: ledger_per_command
-- Databases written before each ingest command kept its own ledger have ingested_files keyed by
-- source_file alone, so a file loaded by one command could not be loaded by the other. The old table
-- is renamed here; 00_tables.sql then creates the new one (keyed by source_file and kind) and
-- migrate/ledger_copy.sql moves the rows over. Runs once, in the transaction that applies the schema.

alter table ingested_files rename to ingested_files_by_file;
