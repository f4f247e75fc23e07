-- load: api_call_duplicates
-- reads: calls (a batch of kept CloudTrail events, with the batch position of their object), api_calls
-- writes: nothing; counts, per object, the events of `calls` that are copies: of a stored event, or
-- of a record earlier in the batch. Run before sql/load/api_calls.sql.

with ranked as (
    select
        source_file,
        event_id in (select event_id from api_calls) as is_stored,
        row_number() over (partition by event_id order by object_index, source_line) as copy_number
    from calls
)
select
    source_file,
    count(*) filter (where is_stored or copy_number > 1) as duplicates
from ranked
group by source_file;
