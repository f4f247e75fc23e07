-- view: target_group_minute
-- grain: one row per load balancer, target group and minute with traffic (minute of request arrival)
-- sources: request_facts
-- columns: lb, minute, target_group, target_group_arn, requests, p50_target_ms, p99_target_ms, elb_5xx,
--   target_5xx, status_4xx, errors, error_rate, latency_samples
--
-- Requests the load balancer answered without a target group (redirects, fixed responses, malformed
-- requests, Classic ELB) have target_group NULL.
create or replace view target_group_minute as
select
    lb,
    minute,
    any_value(target_group) as target_group,
    target_group_arn,
    count(*) as requests,
    quantile_cont(target_ms, [0.5, 0.99])[1] as p50_target_ms,
    quantile_cont(target_ms, [0.5, 0.99])[2] as p99_target_ms,
    count(*) filter (where is_elb_5xx) as elb_5xx,
    count(*) filter (where is_target_5xx) as target_5xx,
    count(*) filter (where is_4xx) as status_4xx,
    count(*) filter (where is_error) as errors,
    count(*) filter (where is_error) / count(*) as error_rate,
    count(target_ms) as latency_samples
from request_facts
group by lb, minute, target_group_arn;
