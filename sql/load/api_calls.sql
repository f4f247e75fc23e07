-- load: api_calls
-- reads: calls (a batch of kept CloudTrail events, with the batch position of their object)
-- writes: api_calls
-- api_calls is unique by event_id: the same event from two trails, two regions or a re-run is one
-- row. An addendum copy (a re-delivery with corrections) replaces any earlier copy; otherwise the
-- first copy stays. Within one batch, an addendum copy wins over a plain one.

delete from api_calls
where event_id in (select event_id from calls where is_addendum);

insert or ignore into api_calls by name
select * exclude (source_rank, object_index)
from (
    select
        *,
        row_number() over (
            partition by event_id order by is_addendum desc, object_index, source_line
        ) as source_rank
    from calls
)
where source_rank = 1;
