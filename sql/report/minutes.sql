-- query: minutes
-- shows: requests, target latency percentiles and status classes per minute (the charts), from the
--   lb_minute view the timeline's shifts are found on
-- params: lb, since, until
-- columns: minute, requests, p50_target_ms, p90_target_ms, p99_target_ms, elb_5xx, target_5xx,
--   status_4xx, errors, error_rate
-- Minutes of request arrival (ALB request_creation_time, Classic ELB timestamp). Latency covers the
-- requests a target answered. elb_5xx: 5xx the load balancer generated itself; target_5xx: 5xx from
-- targets; errors: either, or a request with -1 timings; error_rate = errors / requests
-- (docs/views.md).
select
    minute,
    requests,
    p50_target_ms,
    p90_target_ms,
    p99_target_ms,
    elb_5xx,
    target_5xx,
    status_4xx,
    errors,
    error_rate
from lb_minute
where lb = $lb
    and minute >= date_trunc('minute', $since::timestamp)
    and minute < $until
order by minute;
