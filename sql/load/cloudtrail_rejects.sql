-- load: cloudtrail_rejects
-- reads: batch_rejects (source_file, source_line, reason, raw, kind)
-- writes: rejects

insert into rejects by name
select * from batch_rejects;
