-- replay: log_links
-- reads: requests
-- Which load balancer served each target group in the access logs, and when: the last resort
-- for attributing a target-group change to a load balancer.

select
    target_group_arn,
    lb,
    any_value(lb_id) as lb_id,
    min(coalesce(request_at, time)) as first_seen,
    max(time) as last_seen
from requests
where target_group_arn is not null
group by target_group_arn, lb
order by target_group_arn, lb;
