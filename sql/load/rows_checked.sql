-- load: rows_checked
-- The rows to insert when checkers have already taken out the rejected lines and those outside the
-- filter (runs of small objects). reject_reason and is_kept go unused, so DuckDB never computes them.

create or replace temp view load_rows as
select *
from load_checked;
