-- load: connection
-- reads: batch (source_file, source_line, raw, tok_<field> VARCHAR for each connection-log field, NULL
--        where the line stopped early, extra_fields, and lb_hint, lb_id_hint from the object's
--        name; one batch may hold the lines of several small objects); the variables since,
--        until, lb (the ingest filter)
-- statements: 1. view load_fields: the tokens, plus the values that can fail to convert, typed
--             2. view load_checked: load_fields plus reject_reason (the first field that did not
--                convert) and is_kept (inside the --since/--until/--lb filter)
--             3. the insert of the view load_rows (sql/load/rows_*.sql) into connections
-- Checkers run 1-2 and sql/load/problems.sql on chunks; the writer runs 1-3 once per run, streaming.
-- Older connection-log lines end before the elb field; the file name then names the load balancer.

create or replace temp view load_fields as
select
    *,
    coalesce(lb_name(dash(tok_elb)), lb_hint) as lb,
    coalesce(dash(tok_elb), lb_id_hint) as lb_id,
    try_cast(tok_timestamp as timestamp) as time,
    dash(tok_client_ip) as client_ip,
    try_cast(dash(tok_client_port) as integer) as client_port,
    try_cast(dash(tok_listener_port) as integer) as listener_port,
    round(seconds(tok_tls_handshake_latency) * 1000, 3) as tls_handshake_ms
from batch;

create or replace temp view load_checked as
select
    *,
    coalesce(
        line_problem(raw),
        case
            when time is null then field_problem('timestamp', tok_timestamp, 'an ISO 8601 time')
            when client_ip is null then 'client_ip: missing'
            when unreadable(tok_client_port, client_port)
                then field_problem('client_port', tok_client_port, 'a port number')
            when unreadable(tok_listener_port, listener_port)
                then field_problem('listener_port', tok_listener_port, 'a port number')
            when unreadable(tok_tls_handshake_latency, tls_handshake_ms)
                then field_problem('tls_handshake_latency', tok_tls_handshake_latency, 'a number of seconds')
        end
    ) as reject_reason,
    in_filter(lb, time) as is_kept
from load_fields;

insert into connections by name
select
    lb,
    lb_id,
    time,
    client_ip,
    client_port,
    listener_port,
    dash(tok_tls_protocol) as tls_protocol,
    dash(tok_tls_cipher) as tls_cipher,
    tls_handshake_ms,
    dash(tok_leaf_client_cert_subject) as leaf_client_cert_subject,
    dash(tok_leaf_client_cert_validity) as leaf_client_cert_validity,
    dash(tok_leaf_client_cert_serial_number) as leaf_client_cert_serial_number,
    dash(tok_tls_verify_status) as tls_verify_status,
    dash(tok_conn_trace_id) as conn_trace_id,
    dash(tok_tls_keyexchange) as tls_keyexchange,
    dash(tok_ip_address) as ip_address,
    extra_fields,
    source_file,
    source_line
from load_rows;
