-- view: status_minute
-- grain: one row per load balancer, minute, status code and origin (who generated the answer)
-- sources: request_facts
-- columns: lb, minute, status_class, elb_status_code, origin, requests, share
--
-- origin is 'lb' when the load balancer generated the answer (no target answer, or a different code),
-- 'target' when it relayed the target's. share is the part of that minute's requests, 0..1.
create or replace view status_minute as
with counted as (
    select
        lb,
        minute,
        status_class,
        elb_status_code,
        case when is_lb_generated then 'lb' when elb_status_code is not null then 'target' end as origin,
        count(*) as requests
    from request_facts
    group by all
)
select
    lb,
    minute,
    status_class,
    elb_status_code,
    origin,
    requests,
    requests / sum(requests) over (partition by lb, minute) as share
from counted;
