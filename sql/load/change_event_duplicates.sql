-- load: change_event_duplicates
-- reads: events (a batch of change events of one input, unique by event_id), change_events
-- writes: nothing; counts the events of `events` already stored. Run before
-- sql/load/change_events.sql.

select count(*) as duplicates
from events
where event_id in (select event_id from change_events);
