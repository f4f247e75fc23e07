-- load: health_check
-- reads: batch (source_file, source_line, raw, tok_<field> VARCHAR for each health-check-log field, NULL
--        where the line stopped early, extra_fields, and lb_hint, lb_id_hint from the object's
--        name; one batch may hold the lines of several small objects); the variables since,
--        until, lb (the ingest filter)
-- statements: 1. view load_fields: the tokens, plus the values that can fail to convert, typed
--             2. view load_checked: load_fields plus reject_reason (the first field that did not
--                convert) and is_kept (inside the --since/--until/--lb filter)
--             3. the insert of the view load_rows (sql/load/rows_*.sql) into health_checks
-- Checkers run 1-2 and sql/load/problems.sql on chunks; the writer runs 1-3 once per run, streaming.

create or replace temp view load_fields as
select
    *,
    coalesce(lb_name(dash(tok_elb)), lb_hint) as lb,
    coalesce(dash(tok_elb), lb_id_hint) as lb_id,
    try_cast(tok_time as timestamp) as time,
    round(seconds(tok_latency) * 1000, 6) as latency_ms,
    try_cast(dash(tok_status_code) as integer) as status_code
from batch;

create or replace temp view load_checked as
select
    *,
    coalesce(
        line_problem(raw),
        case
            when time is null then field_problem('time', tok_time, 'an ISO 8601 time')
            when tok_status not in ('PASS', 'FAIL') then field_problem('status', tok_status, 'PASS or FAIL')
            when unreadable(tok_latency, latency_ms) then field_problem('latency', tok_latency, 'a number of seconds')
            when unreadable(tok_status_code, status_code)
                then field_problem('status_code', tok_status_code, 'a status code')
        end
    ) as reject_reason,
    in_filter(lb, time) as is_kept
from load_fields;

insert into health_checks by name
select
    lb,
    lb_id,
    dash(tok_type) as type,
    time,
    latency_ms,
    dash(tok_target_addr) as target_addr,
    case when not starts_with(tok_target_addr, 'arn:') then addr_ip(tok_target_addr) end as target_ip,
    case when not starts_with(tok_target_addr, 'arn:') then addr_port(tok_target_addr) end as target_port,
    dash(tok_target_group_id) as target_group,
    dash(tok_status) as status,
    status_code,
    dash(tok_reason_code) as reason_code,
    dash(tok_ip_address) as ip_address,
    extra_fields,
    source_file,
    source_line
from load_rows;
