-- load: ledger
-- reads: entries (one row per object loaded: source_file, kind, fingerprint, filter, the counts,
--        and the facts its name gave)
-- writes: ingested_files
-- Ledger rows commit with their objects' rows; a re-run skips objects whose fingerprint and
-- filter match.

insert into ingested_files by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from entries;
