-- load: problems
-- reads: load_typed (the view a kind's load file defines over `batch`)
-- returns: one row per line that will not be stored: rejected (reason set) or outside the filter
--          (reason NULL)
-- Run by the checker on each chunk; DuckDB computes only the columns these checks need.

select
    source_file,
    source_line,
    reject_reason as reason,
    raw
from load_typed
where reject_reason is not null
    or not is_kept;
