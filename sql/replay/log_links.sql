-- replay: log_links
-- reads: request_facts
-- Which load balancer served each target group in the access logs, and when: the last resort
-- for attributing a target-group change to a load balancer.

select
    target_group_arn,
    lb,
    any_value(lb_id) as lb_id,
    min(arrived_at) as first_seen,
    max(logged_at) as last_seen
from request_facts
where target_group_arn is not null
group by target_group_arn, lb
order by target_group_arn, lb;
