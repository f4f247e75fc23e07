-- load: earlier_loads
-- reads: ingested_files; parameters $kinds (the ledger's kinds: the log kinds, or 'cloudtrail') and
--        $source_files (the objects asked about; NULL for all of that ledger)
-- Each command's ledger is its rows of ingested_files with its own kinds, so a file can be loaded
-- once as access logs and once as CloudTrail. An earlier load that stored nothing and rejected every
-- line (a file given to the wrong command, or junk) does not make a re-run skip the file.

select
    source_file,
    kind,
    fingerprint,
    filter,
    coalesce(rows = 0 and lines > 0 and rejected = lines, false) as stored_nothing
from ingested_files
where kind in (select unnest($kinds::varchar[]))
    and ($source_files::varchar[] is null or source_file in (select unnest($source_files::varchar[])));
