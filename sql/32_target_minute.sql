-- view: target_minute
-- grain: one row per load balancer, target group, target (ip:port) and minute with traffic
-- sources: request_facts
-- columns: lb, minute, target_group, target_group_arn, target, requests, p50_target_ms, p99_target_ms,
--   elb_5xx, target_5xx, errors, error_rate, latency_samples
--
-- Requests that reached no target (503 with no registered target, redirects, ...) have target NULL.
create or replace view target_minute as
select
    lb,
    minute,
    any_value(target_group) as target_group,
    target_group_arn,
    target,
    count(*) as requests,
    quantile_cont(target_ms, [0.5, 0.99])[1] as p50_target_ms,
    quantile_cont(target_ms, [0.5, 0.99])[2] as p99_target_ms,
    count(*) filter (where is_elb_5xx) as elb_5xx,
    count(*) filter (where is_target_5xx) as target_5xx,
    count(*) filter (where is_error) as errors,
    count(*) filter (where is_error) / count(*) as error_rate,
    count(target_ms) as latency_samples
from request_facts
group by lb, minute, target_group_arn, target;
