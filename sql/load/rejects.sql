-- load: rejects
-- reads: typed (source_file, source_line, reason, raw, kind)
-- writes: rejects

insert into rejects by name
select *
from typed;
