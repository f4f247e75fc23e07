-- load: connection
-- view: load_typed (temporary; re-created over each `batch`), then the insert into connections
-- reads: batch (source_file, source_line, raw, one VARCHAR per field, extra_fields, and lb_hint,
--        lb_id_hint from the object's name); the variables since, until, lb (the ingest filter).
--        One batch may hold the lines of several small objects.
-- columns: the table's columns, then reject_reason, raw (rejected rows only)
--          and is_kept (inside the --since/--until/--lb filter)
-- Older connection-log lines end before the elb field; the file name then names the load balancer.

create or replace temp view load_typed as
with typed as (
    select
        source_file,
        source_line,
        raw,
        "timestamp" as time_token,
        client_port as cp_token,
        listener_port as lp_token,
        tls_handshake_latency as hl_token,
        lb_name(dash(elb)) as lb,
        dash(elb) as lb_id,
        try_cast("timestamp" as timestamp) as time,
        dash(client_ip) as client_ip,
        try_cast(dash(client_port) as integer) as client_port,
        try_cast(dash(listener_port) as integer) as listener_port,
        dash(tls_protocol) as tls_protocol,
        dash(tls_cipher) as tls_cipher,
        round(seconds(tls_handshake_latency) * 1000, 3) as tls_handshake_ms,
        dash(leaf_client_cert_subject) as leaf_client_cert_subject,
        dash(leaf_client_cert_validity) as leaf_client_cert_validity,
        dash(leaf_client_cert_serial_number) as leaf_client_cert_serial_number,
        dash(tls_verify_status) as tls_verify_status,
        dash(conn_trace_id) as conn_trace_id,
        dash(tls_keyexchange) as tls_keyexchange,
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
                when time is null then field_problem('timestamp', time_token, 'an ISO 8601 time')
                when client_ip is null then 'client_ip: missing'
                when unreadable(cp_token, client_port)
                    then field_problem('client_port', cp_token, 'a port number')
                when unreadable(lp_token, listener_port)
                    then field_problem('listener_port', lp_token, 'a port number')
                when unreadable(hl_token, tls_handshake_ms)
                    then field_problem('tls_handshake_latency', hl_token, 'a number of seconds')
            end
        ) as reject_reason
    from typed
)
select
    * exclude (
        raw, time_token, cp_token, lp_token, hl_token
    ),
    case when reject_reason is not null then rtrim(raw, E'\r\n') end as raw,
    ((getvariable('lb')::varchar is null or lb = getvariable('lb'))
        and (getvariable('since')::timestamp is null or time >= getvariable('since'))
        and (getvariable('until')::timestamp is null or time < getvariable('until'))) as is_kept
from checked;

-- the writer's statement: the rows the checker let through, into their table
insert into connections by name
select
    * exclude (reject_reason, raw, is_kept)
from load_typed;
