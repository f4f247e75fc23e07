-- view: metric_reads
-- grain: one row per load balancer, scope, count series and window it was read over
-- sources: metric_fetches, metric_catalogue
-- columns: lb, lb_type, scope, scope_name, series, since, until
--
-- Where a count of metric_cells is 0 rather than unknown: CloudWatch publishes a count only in minutes
-- where it is not zero, so a minute in [since, until) of a read of that series without a datapoint
-- is 0. Outside every read, nothing is known.
create or replace view metric_reads as
select distinct
    fetches.lb,
    fetches.lb_type,
    fetches.scope,
    fetches.scope_name,
    catalogue.series,
    fetches.since,
    fetches.until
from metric_fetches as fetches
join metric_catalogue as catalogue using (namespace, metric, statistic)
where catalogue.is_count
    and fetches.scope in ('lb', 'target_group')
    and fetches.since is not null
    and fetches.until is not null;
