-- load: api_call_duplicates
-- reads: calls (one object's kept CloudTrail events), api_calls
-- writes: nothing; counts the events of `calls` that are copies: of a stored event, or of another
-- record of the same object. Run before sql/load/api_calls.sql.

with stored as (
    select count(*) as copies
    from calls
    where event_id in (select event_id from api_calls)
),
within as (
    select count(*) - count(distinct event_id) as copies
    from calls
    where event_id not in (select event_id from api_calls)
)
select
    stored.copies + within.copies as duplicates
from stored, within;
