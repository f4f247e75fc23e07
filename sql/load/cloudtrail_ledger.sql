-- load: cloudtrail_ledger
-- reads: ledger (one row per CloudTrail object of the batch, with its counts)
-- writes: ingested_files
-- The ledger rows commit with the batch's calls; a re-run skips objects whose fingerprint and
-- filter match.

insert into ingested_files by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from ledger;
