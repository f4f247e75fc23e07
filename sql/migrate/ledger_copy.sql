-- migrate: ledger_copy
-- The rows of the ledger keyed by source_file alone, into the one keyed by (source_file, kind)
-- (see migrate/ledger_per_command.sql).

insert into ingested_files by name
select *
from ingested_files_by_file;

drop table ingested_files_by_file;
