-- load: clb
-- view: load_typed (temporary; re-created over each `batch`), then the insert into requests
-- reads: batch (source_file, source_line, raw, one VARCHAR per field, extra_fields, and lb_hint,
--        lb_id_hint from the object's name); the variables since, until, lb (the ingest filter).
--        One batch may hold the lines of several small objects.
-- columns: the table's columns, then reject_reason, raw (rejected rows only)
--          and is_kept (inside the --since/--until/--lb filter)
-- A Classic ELB logs when it received the request, so `time` and `request_at` are the same.
-- TCP and SSL listener lines have no status codes and the request "- - - ".

create or replace temp view load_typed as
with typed as (
    select
        source_file,
        source_line,
        raw,
        "timestamp" as time_token,
        elb,
        client,
        backend,
        request_processing_time as rpt_token,
        backend_processing_time as tpt_token,
        response_processing_time as spt_token,
        elb_status_code as esc_token,
        backend_status_code as tsc_token,
        received_bytes as rb_token,
        sent_bytes as sb_token,
        dash(elb) as lb,
        'clb' as lb_type,
        dash(elb) as lb_id,
        try_cast("timestamp" as timestamp) as time,
        try_cast("timestamp" as timestamp) as request_at,
        addr_ip(client) as client_ip,
        addr_port(client) as client_port,
        addr_ip(backend) as target_ip,
        addr_port(backend) as target_port,
        seconds(request_processing_time) as request_processing_time,
        seconds(backend_processing_time) as target_processing_time,
        seconds(response_processing_time) as response_processing_time,
        try_cast(dash(elb_status_code) as integer) as elb_status_code,
        try_cast(dash(backend_status_code) as integer) as target_status_code,
        try_cast(dash(received_bytes) as bigint) as received_bytes,
        try_cast(dash(sent_bytes) as bigint) as sent_bytes,
        request_method(request) as http_method,
        request_url(request) as url,
        request_version(request) as http_version,
        dash(user_agent) as user_agent,
        dash(ssl_cipher) as ssl_cipher,
        dash(ssl_protocol) as ssl_protocol,
        extra_fields
    from batch
),
checked as (
    select
        *,
        coalesce(
            line_problem(raw),
            case
                when time is null then field_problem('timestamp', time_token, 'an ISO 8601 time')
                when lb is null or strpos(elb, '/') > 0 or strpos(elb, ':') > 0
                    then field_problem('elb', elb, 'a Classic ELB name')
                when client_ip is null or client_port is null
                    then field_problem('client:port', client, 'an address with a port')
                when dash(backend) is not null and target_port is null
                    then field_problem('backend:port', backend, 'an address with a port')
                when unreadable(rpt_token, request_processing_time)
                    then field_problem('request_processing_time', rpt_token, 'a number of seconds')
                when unreadable(tpt_token, target_processing_time)
                    then field_problem('backend_processing_time', tpt_token, 'a number of seconds')
                when unreadable(spt_token, response_processing_time)
                    then field_problem('response_processing_time', spt_token, 'a number of seconds')
                when unreadable(esc_token, elb_status_code)
                    then field_problem('elb_status_code', esc_token, 'a status code')
                when unreadable(tsc_token, target_status_code)
                    then field_problem('backend_status_code', tsc_token, 'a status code')
                when unreadable(rb_token, received_bytes)
                    then field_problem('received_bytes', rb_token, 'a byte count')
                when unreadable(sb_token, sent_bytes)
                    then field_problem('sent_bytes', sb_token, 'a byte count')
            end
        ) as reject_reason
    from typed
)
select
    * exclude (
        raw, time_token, elb, client, backend, rpt_token, tpt_token, spt_token, esc_token,
        tsc_token, rb_token, sb_token
    ),
    case when reject_reason is not null then rtrim(raw, E'\r\n') end as raw,
    ((getvariable('lb')::varchar is null or lb = getvariable('lb'))
        and (getvariable('since')::timestamp is null or time >= getvariable('since'))
        and (getvariable('until')::timestamp is null or time < getvariable('until'))) as is_kept
from checked;

-- the writer's statement: the rows the checker let through, into their table
insert into requests by name
select
    * exclude (reject_reason, raw, is_kept)
from load_typed;
