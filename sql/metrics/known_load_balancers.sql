-- query: known_load_balancers
-- shows: what the database already knows of a load balancer's CloudWatch name, from its logs and
--   changes: used when Describe* may not be called
-- params: lb
-- columns: lb_type, lb_id
with seen as (
    select
        any_value(lb_type) as lb_type,
        lb_id
    from requests
    where lb = $lb
    group by lb_id
    union all
    select
        'nlb' as lb_type,
        lb_id
    from tls_connections
    where lb = $lb
    group by lb_id
    union all
    select
        case
            when lb_id like 'app/%' then 'alb'
            when lb_id like 'net/%' then 'nlb'
            when api_version = '2012-06-01' then 'clb'
        end as lb_type,
        lb_id
    from changes
    where lb = $lb
)
select distinct
    lb_type,
    lb_id
from seen
where lb_id is not null and lb_type is not null
order by lb_type, lb_id;
