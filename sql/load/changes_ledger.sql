-- load: changes_ledger
-- reads: entries (one row per change-event file loaded: source_file, kind 'changes', fingerprint and
--        the counts)
-- writes: ingested_files
-- The row commits with the file's events; a re-run skips a file whose fingerprint matches, and a
-- changed one replaces its row (the rows of the other commands' ledgers stay).

delete from ingested_files
where kind = 'changes'
    and source_file in (select source_file from entries);

insert into ingested_files by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from entries;
