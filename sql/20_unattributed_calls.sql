-- view: unattributed_calls
-- grain: one row per kept mutating CloudTrail call that no load balancer could be linked to
-- sources: api_calls, changes
-- columns: event_id, event_time, event_source, event_name, actor, actor_kind, error_code,
--   request_parameters, source_file
-- Creating a target group, a certificate or a security group affects no load balancer yet; other
-- calls land here when nothing known links their target group, security group, certificate or
-- network ACL to a load balancer (an inventory snapshot or access logs may).
create or replace view unattributed_calls as
select
    api_calls.event_id as event_id,
    api_calls.event_time as event_time,
    api_calls.event_source as event_source,
    api_calls.event_name as event_name,
    api_calls.actor as actor,
    api_calls.actor_kind as actor_kind,
    api_calls.error_code as error_code,
    api_calls.request_parameters as request_parameters,
    api_calls.source_file as source_file
from api_calls
where not api_calls.read_only
    and not exists (select 1 from changes where changes.event_id = api_calls.event_id);
