-- load: change_events
-- reads: events (a batch of change events of one input, unique by event_id: the last copy of each)
-- writes: change_events
-- change_events is unique by event_id: an event loaded again (from the same file, another file or
-- stdin) replaces its earlier copy, so a feed that re-sends an event with its end_time updates it.

insert or replace into change_events by name
select * from events;
