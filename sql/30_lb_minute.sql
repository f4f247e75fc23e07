-- view: lb_minute
-- grain: one row per load balancer per minute with traffic (minute of request arrival)
-- sources: request_facts
-- columns: lb, minute, requests, p50_target_ms, p90_target_ms, p99_target_ms, elb_5xx, target_5xx, status_4xx,
--   error_rate, errors, incomplete, latency_samples
--
-- p50/p90/p99 are exact (quantile_cont, one sort per minute for all three) over the requests that reached a target and have a target
-- processing time. elb_5xx: 5xx answers the load balancer generated itself (no target answer, or a
-- different code); target_5xx: 5xx answers from targets. errors: elb_5xx, target_5xx, or -1 timings
-- (incomplete); error_rate = errors / requests.
create or replace view lb_minute as
with minutes as (
    select
        lb,
        minute,
        count(*) as requests,
        quantile_cont(target_ms, [0.5, 0.9, 0.99]) as quantiles,
        count(*) filter (where is_elb_5xx) as elb_5xx,
        count(*) filter (where is_target_5xx) as target_5xx,
        count(*) filter (where is_4xx) as status_4xx,
        count(*) filter (where is_error) as errors,
        count(*) filter (where is_incomplete) as incomplete,
        count(target_ms) as latency_samples
    from request_facts
    group by lb, minute
)
select
    lb,
    minute,
    requests,
    quantiles[1] as p50_target_ms,
    quantiles[2] as p90_target_ms,
    quantiles[3] as p99_target_ms,
    elb_5xx,
    target_5xx,
    status_4xx,
    errors / requests as error_rate,
    errors,
    incomplete,
    latency_samples
from minutes;
