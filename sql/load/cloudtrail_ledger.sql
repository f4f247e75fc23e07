-- load: cloudtrail_ledger
-- reads: ledger (one row per CloudTrail object of the batch, with its counts)
-- writes: ingested_files (and removes the access-log ledger's empty rows of files read here)
-- The ledger rows commit with the batch's calls; a re-run skips objects whose fingerprint and
-- filter match.

-- A file an older correlate recorded as access logs with nothing stored is CloudTrail after all
-- once records are kept here: that access-log ledger row and its rejects go.
delete from rejects
where kind <> 'cloudtrail'
    and source_file in (
        select ingested_files.source_file
        from ingested_files
        inner join ledger on ledger.source_file = ingested_files.source_file
        where ingested_files.kind <> 'cloudtrail'
            and ingested_files.rows = 0
            and ledger.lines > 0
    );

delete from ingested_files
where kind <> 'cloudtrail'
    and rows = 0
    and source_file in (select source_file from ledger where lines > 0);

insert into ingested_files by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from ledger;
