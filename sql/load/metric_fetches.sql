-- load: metric_fetches
-- reads: fetches (one row per series read: what was asked, how many datapoints came back, the status)
-- writes: metric_fetches

insert into metric_fetches by name
select
    *,
    now() at time zone 'UTC' as fetched_at
from fetches;
