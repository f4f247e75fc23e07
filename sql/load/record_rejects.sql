-- load: record_rejects
-- reads: batch_rejects (source_file, source_line, reason, raw, kind)
-- writes: rejects (the records `ingest cloudtrail` and `ingest changes` could not load)

insert into rejects by name
select * from batch_rejects;
