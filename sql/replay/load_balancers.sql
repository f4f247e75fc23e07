-- replay: load_balancers
-- reads: requests, tls_connections, inventory
-- The load balancers the database has seen in access logs or an inventory snapshot: where a change
-- event with no scope hint is placed (besides those the CloudTrail replay knows).

select lb, any_value(lb_id) as lb_id
from (
    select distinct lb, lb_id from requests where lb is not null
    union all
    select distinct lb, lb_id from tls_connections where lb is not null
    union all
    select distinct lb, null as lb_id from inventory
    where lb is not null and resource_type in ('load_balancer', 'classic_load_balancer')
)
group by lb
order by lb;
