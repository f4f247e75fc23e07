-- query: changes
-- shows: the configuration changes that affect the load balancer in the window, oldest first (used
--   to find a later change that undoes the most suspect one)
-- params: lb, since, until
-- columns: event_id, event_time, event_name, category, listener_port, target_group, targets, details,
--   actor, actor_kind, error_code, summary
select
    event_id,
    event_time,
    event_name,
    category,
    listener_port,
    target_group,
    targets,
    details,
    actor,
    actor_kind,
    error_code,
    summary
from changes
where lb = $lb
    and event_time >= $since
    and event_time < $until
order by event_time, event_id;
