-- load: rejects
-- reads: typed (source_line, reason, raw, kind); the variable source_file
-- writes: rejects

insert into rejects by name
select
    *,
    getvariable('source_file') as source_file
from typed;
