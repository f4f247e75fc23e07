-- query: minutes
-- shows: requests, target latency percentiles and status classes per minute (the charts)
-- params: lb, since, until
-- columns: minute, requests, p50_target_ms, p90_target_ms, p99_target_ms, elb_5xx, target_5xx,
--   status_4xx, error_rate
-- Requests are placed by their arrival (ALB request_creation_time, Classic ELB timestamp).
-- Latency covers the requests a target answered (target_processing_time is NULL for the rest).
-- error_rate is the share of requests the client got a 5xx for (elb_status_code 500-599).
-- The same figures as the lb_minute view, restricted to the window.
with windowed as (
    select
        date_trunc('minute', coalesce(request_at, time)) as minute,
        target_processing_time,
        elb_status_code,
        target_status_code
    from requests
    where lb = $lb
        and coalesce(request_at, time) >= $since
        and coalesce(request_at, time) < $until
)
select
    minute,
    count(*) as requests,
    quantile_cont(target_processing_time, 0.5) * 1000 as p50_target_ms,
    quantile_cont(target_processing_time, 0.9) * 1000 as p90_target_ms,
    quantile_cont(target_processing_time, 0.99) * 1000 as p99_target_ms,
    count(*) filter (where elb_status_code between 500 and 599) as elb_5xx,
    count(*) filter (where target_status_code between 500 and 599) as target_5xx,
    count(*) filter (where elb_status_code between 400 and 499) as status_4xx,
    count(*) filter (where elb_status_code between 500 and 599) / count(*) as error_rate
from windowed
group by minute
order by minute;
