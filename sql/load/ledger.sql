-- load: ledger
-- reads: entries (one row per object loaded: source_file, kind, fingerprint, filter, the counts,
--        and the facts its name gave)
-- writes: ingested_files (and removes the CloudTrail ledger's empty rows of files that load here)
-- Ledger rows commit with their objects' rows; a re-run skips objects whose fingerprint and
-- filter match.

-- A file an older correlate recorded as CloudTrail with nothing stored is an access log after all
-- once it loads rows here: that CloudTrail ledger row and its rejects go.
delete from rejects
where kind = 'cloudtrail'
    and source_file in (
        select ingested_files.source_file
        from ingested_files
        inner join entries on entries.source_file = ingested_files.source_file
        where ingested_files.kind = 'cloudtrail'
            and ingested_files.rows = 0
            and entries.rows > 0
    );

delete from ingested_files
where kind = 'cloudtrail'
    and rows = 0
    and source_file in (select source_file from entries where rows > 0);

insert into ingested_files by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from entries;
