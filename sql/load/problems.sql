-- load: problems
-- reads: load_checked (the view a kind's load file defines over `batch`)
-- returns: one row per line that will not be stored: rejected (reason set) or outside the filter
--          (reason NULL)

select
    source_file,
    source_line,
    reject_reason as reason,
    case when reject_reason is not null then rtrim(raw, E'\r\n') end as raw
from load_checked
where reject_reason is not null
    or not is_kept;
