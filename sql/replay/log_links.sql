-- replay: log_links
-- reads: request_facts, metric_fetches
-- Which load balancer served each target group, and when: in the access logs (by target group ARN),
-- or read with it from CloudWatch (metric_fetches of a target group's series: its TargetGroup
-- dimension, targetgroup/NAME/ID, beside the LoadBalancer one). The last resort for attributing a
-- target-group change to a load balancer.

with metric_links as (
    select
        list_filter(dimension_list, lambda d: d.Name = 'TargetGroup')[1].Value as target_group_arn,
        lb,
        list_filter(dimension_list, lambda d: d.Name = 'LoadBalancer')[1].Value as lb_id,
        since,
        until
    from (
        select
            lb,
            since,
            until,
            from_json(dimensions, '[{"Name": "VARCHAR", "Value": "VARCHAR"}]') as dimension_list
        from metric_fetches
        where scope = 'target_group' and since is not null
    )
)
select
    target_group_arn,
    lb,
    any_value(lb_id) as lb_id,
    min(arrived_at) as first_seen,
    max(logged_at) as last_seen,
    'access_logs' as source
from request_facts
where target_group_arn is not null
group by target_group_arn, lb
union all
select
    target_group_arn,
    lb,
    any_value(lb_id) as lb_id,
    min(since) as first_seen,
    max(until) as last_seen,
    'cloudwatch' as source
from metric_links
where target_group_arn is not null
group by target_group_arn, lb
order by target_group_arn, lb, source;
