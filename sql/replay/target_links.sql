-- replay: target_links
-- reads: request_facts; parameter $targets (the ip:port targets change events name)
-- Which target group and load balancer each of those targets served in the access logs, and when:
-- how a change event that names only its targets is placed.

select
    target,
    target_group_arn,
    lb,
    any_value(lb_id) as lb_id,
    min(arrived_at) as first_seen,
    max(logged_at) as last_seen
from request_facts
where target in (select unnest($targets::varchar[]))
group by target, target_group_arn, lb
order by target, lb, target_group_arn;
