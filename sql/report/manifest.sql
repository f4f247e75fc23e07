-- query: manifest
-- shows: every input object the report's figures rest on: the load balancer's access-log files whose
--   rows or interval fall in the window, and every CloudTrail file loaded
-- params: lb, since, until
-- columns: source_file, kind, node_ip, interval_end, lines, rows, rejected, rows_in_window, filter
-- Access logs: lines = rows + rejected + filtered (rows outside the --since/--until/--lb the file was
-- loaded with). CloudTrail: lines are records, rows the records kept (ELB and related services);
-- rows_in_window counts the events first seen in that file (a re-delivered event counts once);
-- events read through LookupEvents appear as lookup-events:REGION.
with log_rows as (
    select
        source_file,
        count(*) as rows_in_window
    from request_facts
    where lb = $lb
        and arrived_at >= $since
        and arrived_at < $until
    group by source_file
    union all
    select
        source_file,
        count(*) as rows_in_window
    from tls_connections
    where lb = $lb
        and coalesce(connection_at, time) >= $since
        and coalesce(connection_at, time) < $until
    group by source_file
),
log_files as (
    select
        ingested_files.source_file as source_file,
        ingested_files.kind as kind,
        ingested_files.node_ip as node_ip,
        ingested_files.interval_end as interval_end,
        ingested_files.lines as lines,
        ingested_files.rows as rows,
        ingested_files.rejected as rejected,
        coalesce(log_rows.rows_in_window, 0) as rows_in_window,
        ingested_files.filter as filter
    from ingested_files
    left join log_rows on log_rows.source_file = ingested_files.source_file
    where log_rows.source_file is not null
        or (
            ingested_files.lb = $lb
            and ingested_files.kind in ('alb', 'clb', 'nlb')
            and ingested_files.interval_end > $since
            and ingested_files.interval_end - interval 5 minute < $until
        )
),
trail_calls as (
    select
        source_file,
        count(*) as events,
        count(*) filter (where event_time >= $since and event_time < $until) as events_in_window
    from api_calls
    group by source_file
),
trail_ledger as (
    select *
    from ingested_files
    where kind = 'cloudtrail'
),
trail_files as (
    select
        coalesce(trail_ledger.source_file, trail_calls.source_file) as source_file,
        'cloudtrail' as kind,
        null::varchar as node_ip,
        null::timestamp as interval_end,
        trail_ledger.lines as lines,
        coalesce(trail_ledger.rows, trail_calls.events) as rows,
        trail_ledger.rejected as rejected,
        coalesce(trail_calls.events_in_window, 0) as rows_in_window,
        trail_ledger.filter as filter
    from trail_ledger
    full outer join trail_calls on trail_calls.source_file = trail_ledger.source_file
)
select
    source_file,
    kind,
    node_ip,
    interval_end,
    lines,
    rows,
    rejected,
    rows_in_window,
    filter
from (
    select * from log_files
    union all
    select * from trail_files
)
order by kind = 'cloudtrail', interval_end nulls last, node_ip nulls first, source_file;
