-- query: known_target_groups
-- shows: the target groups the database has seen serve a load balancer (access logs, changes):
--   used when DescribeTargetGroups may not be called
-- params: lb
-- columns: target_group_arn
select distinct target_group_arn
from (
    select distinct target_group_arn
    from requests
    where lb = $lb
    union all
    select target_group_arn
    from changes
    where lb = $lb
)
where target_group_arn like 'arn:%:targetgroup/%'
order by target_group_arn;
