-- load: api_calls
-- reads: calls (one object's kept CloudTrail events, as an Arrow table)
-- writes: api_calls
-- api_calls is unique by event_id: the same event from two trails, two regions or a re-run is one
-- row. An addendum copy (a re-delivery with corrections) replaces any earlier copy; otherwise the
-- first copy stays. Within one object, an addendum copy wins over a plain one.

delete from api_calls
where event_id in (select event_id from calls where is_addendum);

insert or ignore into api_calls by name
select * exclude (source_rank)
from (
    select
        *,
        row_number() over (partition by event_id order by is_addendum desc, source_line) as source_rank
    from calls
)
where source_rank = 1;
