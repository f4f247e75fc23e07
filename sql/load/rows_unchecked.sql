-- load: rows_unchecked
-- The rows to insert when nothing was checked beforehand (a large object): the INSERT itself leaves
-- out rejected lines and those outside the filter. If it stores fewer rows than it was given, the
-- pipeline reads the object again through the checkers to find which lines, and why.

create or replace temp view load_rows as
select *
from load_checked
where reject_reason is null
    and is_kept;
