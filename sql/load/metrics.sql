-- load: metrics
-- reads: points (lb, lb_type, namespace, scope, scope_name, metric, statistic, minute, value, source, seq)
-- writes: metrics_minute
-- One row per series and minute: a re-run over an overlapping window adds no rows, it refreshes the
-- values (CloudWatch may still have been adding to the last minutes) and their source. Within one
-- batch the last point of a series and minute wins. The second statement counts the new rows.

create or replace temp view unique_points as
select * exclude (seq)
from points
qualify row_number() over (
    partition by lb, namespace, scope, scope_name, metric, statistic, minute order by seq desc
) = 1;

select count(*) as new_points
from unique_points
anti join metrics_minute using (lb, namespace, scope, scope_name, metric, statistic, minute);

insert into metrics_minute by name
select
    *,
    now() at time zone 'UTC' as loaded_at
from unique_points
on conflict do update set
    value = excluded.value,
    source = excluded.source,
    loaded_at = excluded.loaded_at;
