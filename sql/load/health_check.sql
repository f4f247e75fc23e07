-- load: health_check
-- view: load_typed (temporary; re-created over each `batch`), then the insert into health_checks
-- reads: batch (source_file, source_line, raw, one VARCHAR per field, extra_fields, and lb_hint,
--        lb_id_hint from the object's name); the variables since, until, lb (the ingest filter).
--        One batch may hold the lines of several small objects.
-- columns: the table's columns, then reject_reason, raw (rejected rows only)
--          and is_kept (inside the --since/--until/--lb filter)
-- target_addr is ip:port, or a Lambda function's ARN (then target_ip and target_port are NULL).

create or replace temp view load_typed as
with typed as (
    select
        source_file,
        source_line,
        raw,
        "time" as time_token,
        latency as latency_token,
        status_code as sc_token,
        lb_name(dash(elb)) as lb,
        dash(elb) as lb_id,
        dash("type") as type,
        try_cast("time" as timestamp) as time,
        round(seconds(latency) * 1000, 6) as latency_ms,
        dash(target_addr) as target_addr,
        case when not starts_with(target_addr, 'arn:') then addr_ip(target_addr) end as target_ip,
        case when not starts_with(target_addr, 'arn:') then addr_port(target_addr) end as target_port,
        dash(target_group_id) as target_group,
        dash(status) as status,
        try_cast(dash(status_code) as integer) as status_code,
        dash(reason_code) as reason_code,
        dash(ip_address) as ip_address,
        extra_fields,
        lb_hint,
        lb_id_hint
    from batch
),
checked as (
    select
        * exclude (lb, lb_id, lb_hint, lb_id_hint),
        coalesce(lb, lb_hint) as lb,
        coalesce(lb_id, lb_id_hint) as lb_id,
        coalesce(
            line_problem(raw),
            case
                when time is null then field_problem('time', time_token, 'an ISO 8601 time')
                when status not in ('PASS', 'FAIL') then field_problem('status', status, 'PASS or FAIL')
                when unreadable(latency_token, latency_ms)
                    then field_problem('latency', latency_token, 'a number of seconds')
                when unreadable(sc_token, status_code)
                    then field_problem('status_code', sc_token, 'a status code')
            end
        ) as reject_reason
    from typed
)
select
    * exclude (
        raw, time_token, latency_token, sc_token
    ),
    case when reject_reason is not null then rtrim(raw, E'\r\n') end as raw,
    ((getvariable('lb')::varchar is null or lb = getvariable('lb'))
        and (getvariable('since')::timestamp is null or time >= getvariable('since'))
        and (getvariable('until')::timestamp is null or time < getvariable('until'))) as is_kept
from checked;

-- the writer's statement: the rows the checker let through, into their table
insert into health_checks by name
select
    * exclude (reject_reason, raw, is_kept)
from load_typed;
