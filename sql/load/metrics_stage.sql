-- load: metrics_stage
-- reads: page (one GetMetricData page's points: lb, lb_type, namespace, scope, scope_name, metric,
--        statistic, minute, value, source, seq)
-- writes: staged_points (a temporary table: the points of the request being read)
-- The pages of one request are staged, then merged into metrics_minute at once (load/metrics.sql):
-- one pass over metrics_minute per request instead of one per page.

create temp table if not exists staged_points as
select *
from page
limit 0;

insert into staged_points
select *
from page;
