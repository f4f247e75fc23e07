-- query: cloudtrail_coverage
-- shows: how much of the window the loaded CloudTrail events cover, and the longest silence in it
-- params: lb, since, until
-- columns: events, files, first_event_at, last_event_at, events_in_window, changes_in_window,
--   failed_changes_in_window, longest_silence_from, longest_silence_to
-- CloudTrail has no heartbeat: a quiet hour and a lost file look the same, so the longest stretch of
-- the window without any event (window edges included) is shown for a person to judge.
with in_window as (
    select event_time
    from api_calls
    where event_time >= $since
        and event_time < $until
),
edges as (
    select $since::timestamp as edge_at
    union all
    select event_time as edge_at
    from in_window
    union all
    select $until::timestamp as edge_at
),
silences as (
    select
        edge_at as silence_from,
        lead(edge_at) over (order by edge_at) as silence_to
    from edges
),
longest as (
    select
        arg_max(silence_from, silence_to - silence_from) as silence_from,
        arg_max(silence_to, silence_to - silence_from) as silence_to
    from silences
    where silence_to is not null
),
lb_changes as (
    select
        count(*) as changes,
        count(*) filter (where error_code is not null) as failed
    from changes
    where lb = $lb
        and event_time >= $since
        and event_time < $until
),
totals as (
    select
        count(*) as events,
        count(distinct source_file) as files,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at
    from api_calls
)
select
    totals.events as events,
    totals.files as files,
    totals.first_event_at as first_event_at,
    totals.last_event_at as last_event_at,
    (select count(*) from in_window) as events_in_window,
    lb_changes.changes as changes_in_window,
    lb_changes.failed as failed_changes_in_window,
    longest.silence_from as longest_silence_from,
    longest.silence_to as longest_silence_to
from totals
cross join lb_changes
cross join longest;
