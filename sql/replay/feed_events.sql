-- replay: feed_events
-- reads: change_events
-- The change events the change model places on load balancers, oldest first.

select
    event_id,
    event_time,
    kind,
    summary,
    actor,
    source,
    lbs,
    target_groups,
    targets,
    services,
    listener_port,
    end_time,
    url,
    details::varchar as details,
    source_file,
    source_line
from change_events
order by event_time, event_id;
