-- view: metrics_lb_minute
-- grain: one row per load balancer (and CloudWatch namespace) per minute with a CloudWatch datapoint
-- sources: metrics_minute, metric_fetches, metric_catalogue
-- columns: lb, lb_type, minute, requests, p50_target_ms, p90_target_ms, p99_target_ms, elb_5xx, target_5xx,
--   status_4xx, error_rate, errors, healthy_hosts, unhealthy_hosts, active_connections, rejected_connections,
--   client_tls_errors, target_tls_errors, target_connection_errors, surge_queue_length, spillover, new_flows,
--   active_flows, tcp_client_resets, tcp_target_resets, tcp_elb_resets
--
-- lb_minute's series from CloudWatch instead of access logs, plus what only CloudWatch has. ALB and
-- Classic ELB names map onto the same columns (RequestCount; TargetResponseTime or Latency
-- percentiles in ms; HTTPCode_ELB_5XX(_Count); HTTPCode_Target_5XX_Count or HTTPCode_Backend_5XX;
-- status_4xx = the ELB's and the targets' 4XX; errors = elb_5xx + target_5xx: CloudWatch has no
-- count of incomplete requests). Host counts are the minute's Average, summed over the target groups
-- (ALB, NLB; a target in two groups counts twice) or the Classic ELB's own. Columns of another type
-- of load balancer are NULL.
-- CloudWatch publishes a count only in minutes where it is not zero: a count read over a window
-- (metric_fetches) with no datapoint in a minute is 0, a count never read is NULL. Minutes come from
-- the datapoints, so the last minutes CloudWatch has not published yet have no row.
create or replace view metrics_lb_minute as
with datapoints as (
    select
        points.lb,
        points.lb_type,
        points.namespace,
        points.minute,
        catalogue.series,
        sum(points.value) as value
    from metrics_minute as points
    join metric_catalogue as catalogue using (namespace, metric, statistic)
    where points.scope = 'lb' or (points.scope = 'target_group' and catalogue.series like '%_hosts')
    group by all
),
minutes as (
    select distinct
        lb,
        lb_type,
        namespace,
        minute
    from datapoints
),
read_counts as (
    select distinct
        lb,
        namespace,
        metric,
        statistic,
        since,
        until
    from metric_fetches
    where scope = 'lb' and statistic = 'Sum'
),
zeros as (
    select
        minutes.lb,
        minutes.lb_type,
        minutes.namespace,
        minutes.minute,
        catalogue.series,
        0.0 as value
    from minutes
    join read_counts
        on read_counts.lb = minutes.lb
        and read_counts.namespace = minutes.namespace
        and minutes.minute >= read_counts.since
        and minutes.minute < read_counts.until
    join metric_catalogue as catalogue
        on catalogue.namespace = read_counts.namespace
        and catalogue.metric = read_counts.metric
        and catalogue.statistic = read_counts.statistic
),
series as (
    select
        lb,
        lb_type,
        namespace,
        minute,
        series,
        max(value) as value
    from (
        select * from datapoints
        union all
        select * from zeros
    )
    group by all
),
pivoted as (
    select
        lb,
        lb_type,
        minute,
        max(value) filter (where series = 'requests')::bigint as requests,
        round(max(value) filter (where series = 'p50_target_s') * 1000, 3) as p50_target_ms,
        round(max(value) filter (where series = 'p90_target_s') * 1000, 3) as p90_target_ms,
        round(max(value) filter (where series = 'p99_target_s') * 1000, 3) as p99_target_ms,
        max(value) filter (where series = 'elb_5xx')::bigint as elb_5xx,
        max(value) filter (where series = 'target_5xx')::bigint as target_5xx,
        max(value) filter (where series = 'elb_4xx')::bigint as elb_4xx,
        max(value) filter (where series = 'target_4xx')::bigint as target_4xx,
        max(value) filter (where series = 'healthy_hosts') as healthy_hosts,
        max(value) filter (where series = 'unhealthy_hosts') as unhealthy_hosts,
        max(value) filter (where series = 'active_connections')::bigint as active_connections,
        max(value) filter (where series = 'rejected_connections')::bigint as rejected_connections,
        max(value) filter (where series = 'client_tls_errors')::bigint as client_tls_errors,
        max(value) filter (where series = 'target_tls_errors')::bigint as target_tls_errors,
        max(value) filter (where series = 'target_connection_errors')::bigint as target_connection_errors,
        max(value) filter (where series = 'surge_queue_length') as surge_queue_length,
        max(value) filter (where series = 'spillover')::bigint as spillover,
        max(value) filter (where series = 'new_flows')::bigint as new_flows,
        max(value) filter (where series = 'active_flows') as active_flows,
        max(value) filter (where series = 'tcp_client_resets')::bigint as tcp_client_resets,
        max(value) filter (where series = 'tcp_target_resets')::bigint as tcp_target_resets,
        max(value) filter (where series = 'tcp_elb_resets')::bigint as tcp_elb_resets
    from series
    group by lb, lb_type, namespace, minute
)
select
    lb,
    lb_type,
    minute,
    requests,
    p50_target_ms,
    p90_target_ms,
    p99_target_ms,
    elb_5xx,
    target_5xx,
    elb_4xx + target_4xx as status_4xx,
    (elb_5xx + target_5xx) / nullif(requests, 0) as error_rate,
    elb_5xx + target_5xx as errors,
    healthy_hosts,
    unhealthy_hosts,
    active_connections,
    rejected_connections,
    client_tls_errors,
    target_tls_errors,
    target_connection_errors,
    surge_queue_length,
    spillover,
    new_flows,
    active_flows,
    tcp_client_resets,
    tcp_target_resets,
    tcp_elb_resets
from pivoted;
