-- query: periods
-- shows: before / during / after the incident: traffic, 5xx rate and target latency with 95% intervals
-- params: lb, since, onset, recovery, until
-- columns: period, starts_at, ends_at, minutes, requests, requests_per_min, requests_per_min_low,
--   requests_per_min_high, errors, error_rate, error_rate_low, error_rate_high, timed, p50_ms,
--   p50_low_ms, p50_high_ms, p99_ms, p99_low_ms, p99_high_ms
-- Periods are half-open: before [since, onset), during [onset, recovery), after [recovery, until);
-- an empty one is left out. Intervals: requests per minute ±1.96·√n (Poisson, normal
-- approximation); 5xx rate by Wilson's score interval; percentiles are nearest-rank, their
-- interval the order statistics at ranks n·q ∓ 1.96·√(n·q·(1-q)) (distribution-free), NULL where
-- that rank falls outside the sample (too few requests to bound it).
with periods as (
    select
        period,
        ordinal,
        starts_at,
        ends_at
    from (
        values
            ('before', 1, $since::timestamp, $onset::timestamp),
            ('during', 2, $onset::timestamp, $recovery::timestamp),
            ('after', 3, $recovery::timestamp, $until::timestamp)
    ) as bounds(period, ordinal, starts_at, ends_at)
    where starts_at < ends_at
),
classified as (
    select
        periods.period as period,
        requests.elb_status_code as elb_status_code,
        requests.target_processing_time * 1000 as target_ms
    from periods
    join requests
        on requests.lb = $lb
        and coalesce(requests.request_at, requests.time) >= periods.starts_at
        and coalesce(requests.request_at, requests.time) < periods.ends_at
),
counts as (
    select
        period,
        count(*) as requests,
        count(*) filter (where elb_status_code between 500 and 599) as errors
    from classified
    group by period
),
ranked as (
    select
        period,
        target_ms,
        row_number() over (partition by period order by target_ms) as rank,
        count(*) over (partition by period) as timed
    from classified
    where target_ms is not null
),
ranks as (
    select distinct
        period,
        timed,
        ceil(0.5 * timed) as p50_rank,
        floor(0.5 * timed - 1.96 * sqrt(timed * 0.5 * 0.5)) as p50_low_rank,
        ceil(0.5 * timed + 1.96 * sqrt(timed * 0.5 * 0.5)) as p50_high_rank,
        ceil(0.99 * timed) as p99_rank,
        floor(0.99 * timed - 1.96 * sqrt(timed * 0.99 * 0.01)) as p99_low_rank,
        ceil(0.99 * timed + 1.96 * sqrt(timed * 0.99 * 0.01)) as p99_high_rank
    from ranked
),
latency as (
    select
        ranked.period as period,
        any_value(ranks.timed) as timed,
        max(ranked.target_ms) filter (where ranked.rank = ranks.p50_rank) as p50_ms,
        max(ranked.target_ms) filter (where ranked.rank = ranks.p50_low_rank) as p50_low_ms,
        max(ranked.target_ms) filter (where ranked.rank = ranks.p50_high_rank) as p50_high_ms,
        max(ranked.target_ms) filter (where ranked.rank = ranks.p99_rank) as p99_ms,
        max(ranked.target_ms) filter (where ranked.rank = ranks.p99_low_rank) as p99_low_ms,
        max(ranked.target_ms) filter (where ranked.rank = ranks.p99_high_rank) as p99_high_ms
    from ranked
    join ranks on ranks.period = ranked.period
    group by ranked.period
),
measured as (
    select
        periods.period as period,
        periods.ordinal as ordinal,
        periods.starts_at as starts_at,
        periods.ends_at as ends_at,
        epoch(periods.ends_at - periods.starts_at) / 60 as minutes,
        coalesce(counts.requests, 0) as requests,
        coalesce(counts.errors, 0) as errors,
        coalesce(counts.errors, 0) / nullif(counts.requests, 0) as error_rate,
        coalesce(latency.timed, 0) as timed,
        latency.p50_ms as p50_ms,
        latency.p50_low_ms as p50_low_ms,
        latency.p50_high_ms as p50_high_ms,
        latency.p99_ms as p99_ms,
        latency.p99_low_ms as p99_low_ms,
        latency.p99_high_ms as p99_high_ms
    from periods
    left join counts on counts.period = periods.period
    left join latency on latency.period = periods.period
)
select
    period,
    starts_at,
    ends_at,
    minutes,
    requests,
    requests / minutes as requests_per_min,
    greatest(requests - 1.96 * sqrt(requests), 0) / minutes as requests_per_min_low,
    (requests + 1.96 * sqrt(requests)) / minutes as requests_per_min_high,
    errors,
    error_rate,
    (error_rate + 1.9208 / requests - 1.96 * sqrt(error_rate * (1 - error_rate) / requests + 0.9604 / requests ^ 2))
        / (1 + 3.8416 / requests) as error_rate_low,
    (error_rate + 1.9208 / requests + 1.96 * sqrt(error_rate * (1 - error_rate) / requests + 0.9604 / requests ^ 2))
        / (1 + 3.8416 / requests) as error_rate_high,
    timed,
    p50_ms,
    p50_low_ms,
    p50_high_ms,
    p99_ms,
    p99_low_ms,
    p99_high_ms
from measured
order by ordinal;
