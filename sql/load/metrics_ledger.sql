-- load: metrics_ledger
-- reads: entries (one row per saved GetMetricData document loaded: source_file, kind, fingerprint,
--        size_bytes, rows, rejected)
-- writes: ingested_files
-- The row commits with the document's fetch rows; a re-run skips a document whose fingerprint
-- matches, and a changed one replaces its row.

delete from ingested_files
where source_file in (select source_file from entries);

insert into ingested_files by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from entries;
