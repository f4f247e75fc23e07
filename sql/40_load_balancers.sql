-- view: load_balancers
-- grain: one row per load balancer seen in any log, CloudWatch metric or configuration change
-- sources: request_facts, tls_connections, metrics_minute, changes
-- columns: lb, lb_type, lb_id, requests, tls_connections, metric_minutes, first_seen, last_seen, changes
-- first_seen / last_seen: the first and last request arrival (ALB request_creation_time, Classic
-- timestamp), NLB connection or CloudWatch minute, the clock every window is drawn on.
-- metric_minutes: the minutes with a CloudWatch datapoint (correlate ingest metrics).
create or replace view load_balancers as
with traffic as (
    select
        lb,
        lb_type,
        any_value(lb_id) as lb_id,
        count(*) as requests,
        0 as tls_connections,
        0 as metric_minutes,
        min(arrived_at) as first_seen,
        max(arrived_at) as last_seen
    from request_facts
    group by lb, lb_type
    union all
    select
        lb,
        'nlb' as lb_type,
        any_value(lb_id) as lb_id,
        0 as requests,
        count(*) as tls_connections,
        0 as metric_minutes,
        min(coalesce(connection_at, time)) as first_seen,
        max(coalesce(connection_at, time)) as last_seen
    from tls_connections
    group by lb
    union all
    select
        lb,
        lb_type,
        null as lb_id,
        0 as requests,
        0 as tls_connections,
        count(distinct minute) as metric_minutes,
        min(minute) as first_seen,
        max(minute) as last_seen
    from metrics_minute
    group by lb, lb_type
),
change_counts as (
    select
        lb,
        case
            when any_value(lb_id) like 'app/%' then 'alb'
            when any_value(lb_id) like 'net/%' then 'nlb'
            when any_value(lb_id) like 'gwy/%' then 'gwlb'
            when bool_or(api_version = '2012-06-01') then 'clb'
        end as lb_type,
        any_value(lb_id) as lb_id,
        count(*) as changes
    from changes
    group by lb
),
seen as (
    select
        lb,
        string_agg(distinct lb_type, ',' order by lb_type) as lb_type,
        any_value(lb_id) as lb_id,
        sum(requests)::bigint as requests,
        sum(tls_connections)::bigint as tls_connections,
        sum(metric_minutes)::bigint as metric_minutes,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from traffic
    group by lb
)
select
    coalesce(seen.lb, change_counts.lb) as lb,
    coalesce(seen.lb_type, change_counts.lb_type) as lb_type,
    coalesce(seen.lb_id, change_counts.lb_id) as lb_id,
    coalesce(seen.requests, 0) as requests,
    coalesce(seen.tls_connections, 0) as tls_connections,
    coalesce(seen.metric_minutes, 0) as metric_minutes,
    seen.first_seen as first_seen,
    seen.last_seen as last_seen,
    coalesce(change_counts.changes, 0) as changes
from seen
full outer join change_counts on change_counts.lb = seen.lb;
