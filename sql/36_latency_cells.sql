-- view: latency_cells
-- grain: one row per load balancer, minute, target group, target and latency bin (NULL bin: no latency)
-- sources: request_facts
-- columns: lb, minute, target_group_arn, target_ip, target_port, latency_bin, requests, elb_5xx,
--   target_5xx, status_4xx, errors
--
-- The timeline's back-end input: one pass over requests gives, per minute and target, a latency
-- histogram (see latency_bin in request_facts) and the error counts. Histograms add up, so the
-- target group and load balancer series, and any coarser time bucket, are sums of these cells.
create or replace view latency_cells as
select
    lb,
    minute,
    target_group_arn,
    target_ip,
    target_port,
    latency_bin,
    count(*) as requests,
    count(*) filter (where is_elb_5xx) as elb_5xx,
    count(*) filter (where is_target_5xx) as target_5xx,
    count(*) filter (where is_4xx) as status_4xx,
    count(*) filter (where is_error) as errors
from request_facts
group by lb, minute, target_group_arn, target_ip, target_port, latency_bin;
