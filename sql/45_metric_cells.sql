-- view: metric_cells
-- grain: one row per load balancer, scope (the load balancer or one target group), series and minute with a
--   CloudWatch datapoint
-- sources: metrics_minute, metric_catalogue
-- columns: lb, lb_type, scope, scope_name, series, minute, value
--
-- The timeline's CloudWatch input: metrics_minute under the series names of metric_catalogue
-- (latencies still in seconds). Zone series are left out: the timeline slices by target group.
-- A count's minutes without a datapoint are not here; metric_reads says which of them were read
-- (and so are 0).
create or replace view metric_cells as
select
    points.lb,
    points.lb_type,
    points.scope,
    points.scope_name,
    catalogue.series,
    points.minute,
    points.value
from metrics_minute as points
join metric_catalogue as catalogue using (namespace, metric, statistic)
where points.scope in ('lb', 'target_group');
