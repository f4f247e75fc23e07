-- view: lb_changes
-- grain: one row per (configuration change, load balancer it affects), the columns a person reads
-- sources: changes
-- columns: event_time, lb, event_name, category, listener_port, target_group, summary, actor_name,
--   actor_kind, applied, error_code, event_id, origin, url
-- origin: cloudtrail (an API call) or feed (a change event of `correlate ingest changes`, with the
-- url back to the system that made it, where it gave one).
create or replace view lb_changes as
select
    changes.event_time as event_time,
    changes.lb as lb,
    changes.event_name as event_name,
    changes.category as category,
    changes.listener_port as listener_port,
    changes.target_group as target_group,
    changes.summary as summary,
    coalesce(changes.actor_name, changes.actor) as actor_name,
    changes.actor_kind as actor_kind,
    changes.applied as applied,
    changes.error_code as error_code,
    changes.event_id as event_id,
    coalesce(changes.origin, 'cloudtrail') as origin,
    changes.url as url
from changes;
