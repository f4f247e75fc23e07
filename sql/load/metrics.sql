-- load: metrics
-- reads: staged_points (the points of one request or file: lb, lb_type, namespace, scope, scope_name,
--        metric, statistic, minute, value, source, seq)
-- writes: metrics_minute
-- One row per series and minute: a re-run over an overlapping window adds no rows. The minutes
-- already stored take the new value where it differs (CloudWatch may still have been adding to the
-- last minutes), with its source. Within one batch the last point of a series and minute wins.
-- The insert reports the new rows. (INSERT ... ON CONFLICT DO UPDATE on a primary key was three
-- times slower on a re-run, as it rewrites every row, and the key's index slowed every load.)

create or replace temp table unique_points as
select * exclude (seq)
from staged_points
qualify row_number() over (
    partition by lb, namespace, scope, scope_name, metric, statistic, minute order by seq desc
) = 1;

insert into metrics_minute by name
select
    unique_points.*,
    now() at time zone 'UTC' as loaded_at
from unique_points
anti join metrics_minute using (lb, namespace, scope, scope_name, metric, statistic, minute);

update metrics_minute as stored
set
    value = fresh.value,
    source = fresh.source,
    loaded_at = now() at time zone 'UTC'
from unique_points as fresh
where stored.lb = fresh.lb
    and stored.namespace = fresh.namespace
    and stored.scope = fresh.scope
    and stored.scope_name = fresh.scope_name
    and stored.metric = fresh.metric
    and stored.statistic = fresh.statistic
    and stored.minute = fresh.minute
    and stored.value is distinct from fresh.value;

drop table unique_points;

drop table staged_points;
