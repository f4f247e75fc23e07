-- query: impact
-- shows: the requests the incident affected: those that got a 5xx, or took a target longer than the
--   p99 target latency before the onset
-- params: lb, since, onset, recovery
-- columns: requests, errors, slow, affected, affected_rate, p99_before_ms
-- The p99 before is nearest-rank over [since, onset); the incident is [onset, recovery).
with before as (
    select
        target_processing_time * 1000 as target_ms,
        row_number() over (order by target_processing_time) as rank,
        count(*) over () as timed
    from requests
    where lb = $lb
        and target_processing_time is not null
        and coalesce(request_at, time) >= $since
        and coalesce(request_at, time) < $onset
),
baseline as (
    select max(target_ms) filter (where rank = ceil(0.99 * timed)) as p99_before_ms
    from before
),
during as (
    select
        coalesce(elb_status_code between 500 and 599, false) as is_error,
        coalesce(target_processing_time * 1000 > baseline.p99_before_ms, false) as is_slow
    from requests
    cross join baseline
    where lb = $lb
        and coalesce(request_at, time) >= $onset
        and coalesce(request_at, time) < $recovery
)
select
    count(*) as requests,
    count(*) filter (where is_error) as errors,
    count(*) filter (where is_slow and not is_error) as slow,
    count(*) filter (where is_error or is_slow) as affected,
    count(*) filter (where is_error or is_slow) / nullif(count(*), 0) as affected_rate,
    (select p99_before_ms from baseline) as p99_before_ms
from during;
