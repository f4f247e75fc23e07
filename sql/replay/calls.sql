-- replay: calls
-- reads: api_calls
-- The mutating calls the change model replays, oldest first (read-only calls change nothing).

select
    event_id,
    event_time,
    event_source,
    event_name,
    api_version,
    aws_region,
    account_id,
    actor,
    actor_name,
    actor_kind,
    error_code,
    error_message,
    request_parameters::varchar as request_parameters,
    response_elements::varchar as response_elements,
    coalesce(request_truncated, false) as request_truncated
from api_calls
where not read_only
order by event_time, event_id;
