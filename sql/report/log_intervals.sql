-- query: log_intervals
-- shows: per load balancer node, the 5-minute log intervals between its first and last log file in
--   the window, and the ones no file was loaded for
-- params: lb, since, until
-- columns: node_ip, kind, cadence_minutes, first_interval_start, last_interval_end, expected, present,
--   missing, gaps
-- From the AWS object names (…_<end-time>_<node-ip>_…): ALB and NLB nodes write a file every 5
-- minutes; a Classic ELB writes every 5 or 60 minutes (60 when every file ends on the hour). NLB
-- names carry no node address (node_ip NULL). A node with no traffic, or one added or removed
-- mid-window, also leaves intervals without a file.
with files as (
    select distinct
        node_ip,
        kind,
        interval_end
    from ingested_files
    where lb = $lb
        and kind in ('alb', 'clb', 'nlb')
        and interval_end is not null
),
cadences as (
    select
        node_ip,
        kind,
        case when kind = 'clb' and bool_and(minute(interval_end) = 0) then 60 else 5 end as cadence_minutes
    from files
    group by node_ip, kind
),
in_window as (
    select
        files.node_ip as node_ip,
        files.kind as kind,
        cadences.cadence_minutes as cadence_minutes,
        files.interval_end as interval_end
    from files
    join cadences on cadences.node_ip is not distinct from files.node_ip and cadences.kind = files.kind
    where files.interval_end > $since
        and files.interval_end - to_minutes(cadences.cadence_minutes) < $until
),
nodes as (
    select
        node_ip,
        kind,
        cadence_minutes,
        min(interval_end) as first_end,
        max(interval_end) as last_end,
        count(*) as present
    from in_window
    group by node_ip, kind, cadence_minutes
),
expected as (
    select
        node_ip,
        kind,
        cadence_minutes,
        unnest(generate_series(first_end, last_end, to_minutes(cadence_minutes))) as interval_end
    from nodes
),
missing as (
    select
        expected.node_ip as node_ip,
        expected.kind as kind,
        expected.cadence_minutes as cadence_minutes,
        expected.interval_end as interval_end,
        epoch(expected.interval_end) // (60 * expected.cadence_minutes)
            - row_number() over (partition by expected.node_ip, expected.kind order by expected.interval_end) as island
    from expected
    anti join in_window
        on in_window.node_ip is not distinct from expected.node_ip
        and in_window.kind = expected.kind
        and in_window.interval_end = expected.interval_end
),
gaps as (
    select
        node_ip,
        kind,
        min(interval_end) - to_minutes(any_value(cadence_minutes)) as gap_from,
        max(interval_end) as gap_to,
        count(*) as intervals
    from missing
    group by node_ip, kind, island
)
select
    nodes.node_ip as node_ip,
    nodes.kind as kind,
    nodes.cadence_minutes as cadence_minutes,
    nodes.first_end - to_minutes(nodes.cadence_minutes) as first_interval_start,
    nodes.last_end as last_interval_end,
    (epoch(nodes.last_end - nodes.first_end) // (60 * nodes.cadence_minutes) + 1)::bigint as expected,
    nodes.present as present,
    (epoch(nodes.last_end - nodes.first_end) // (60 * nodes.cadence_minutes) + 1 - nodes.present)::bigint as missing,
    coalesce(
        list(struct_pack(gap_from := gaps.gap_from, gap_to := gaps.gap_to, intervals := gaps.intervals)
            order by gaps.gap_from) filter (where gaps.gap_from is not null),
        []
    ) as gaps
from nodes
left join gaps on gaps.node_ip is not distinct from nodes.node_ip and gaps.kind = nodes.kind
group by all
order by nodes.kind, nodes.node_ip nulls first;
