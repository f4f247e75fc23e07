-- load: nlb
-- reads: batch (source_file, source_line, raw, tok_<field> VARCHAR for each NLB field, NULL
--        where the line stopped early, extra_fields, and lb_hint, lb_id_hint from the object's
--        name; one batch may hold the lines of several small objects); the variables since,
--        until, lb (the ingest filter)
-- statements: 1. view load_fields: the tokens, plus the values that can fail to convert, typed
--             2. view load_checked: load_fields plus reject_reason (the first field that did not
--                convert) and is_kept (inside the --since/--until/--lb filter)
--             3. the insert of the view load_rows (sql/load/rows_*.sql) into tls_connections
-- Checkers run 1-2 and sql/load/problems.sql on chunks; the writer runs 1-3 once per run, streaming.
-- NLB times have no fraction and no Z; they are UTC. domain_name is URL-encoded in the log.

create or replace temp view load_fields as
select
    *,
    lb_name(tok_elb) as lb,
    dash(tok_elb) as lb_id,
    try_cast(tok_time as timestamp) as time,
    addr_ip(tok_client) as client_ip,
    addr_port(tok_client) as client_port,
    addr_ip(tok_destination) as destination_ip,
    addr_port(tok_destination) as destination_port,
    try_cast(dash(tok_connection_time) as bigint) as connection_time_ms,
    try_cast(dash(tok_tls_handshake_time) as bigint) as tls_handshake_time_ms,
    try_cast(dash(tok_received_bytes) as bigint) as received_bytes,
    try_cast(dash(tok_sent_bytes) as bigint) as sent_bytes,
    try_cast(dash(tok_tls_connection_creation_time) as timestamp) as connection_at
from batch;

create or replace temp view load_checked as
select
    *,
    coalesce(
        line_problem(raw),
        case
            when tok_type <> 'tls' then field_problem('type', tok_type, 'tls')
            when time is null then field_problem('time', tok_time, 'an ISO 8601 time')
            when lb_id is null or not regexp_matches(tok_elb, '^[a-z]+/[^/]+/[^/]+$')
                then field_problem('elb', tok_elb, 'a load balancer id (net/NAME/ID)')
            when client_ip is null or client_port is null
                then field_problem('client:port', tok_client, 'an address with a port')
            when dash(tok_destination) is not null and destination_port is null
                then field_problem('destination:port', tok_destination, 'an address with a port')
            when unreadable(tok_connection_time, connection_time_ms)
                then field_problem('connection_time', tok_connection_time, 'a number of milliseconds')
            when unreadable(tok_tls_handshake_time, tls_handshake_time_ms)
                then field_problem('tls_handshake_time', tok_tls_handshake_time, 'a number of milliseconds')
            when unreadable(tok_received_bytes, received_bytes)
                then field_problem('received_bytes', tok_received_bytes, 'a byte count')
            when unreadable(tok_sent_bytes, sent_bytes)
                then field_problem('sent_bytes', tok_sent_bytes, 'a byte count')
            when unreadable(tok_tls_connection_creation_time, connection_at)
                then field_problem('tls_connection_creation_time', tok_tls_connection_creation_time,
                                   'an ISO 8601 time')
        end
    ) as reject_reason,
    in_filter(lb, time) as is_kept
from load_fields;

insert into tls_connections by name
select
    lb,
    lb_id,
    dash(tok_version) as version,
    time,
    dash(tok_listener) as listener,
    client_ip,
    client_port,
    destination_ip,
    destination_port,
    connection_time_ms,
    tls_handshake_time_ms,
    received_bytes,
    sent_bytes,
    dash(tok_incoming_tls_alert) as incoming_tls_alert,
    dash(tok_chosen_cert_arn) as chosen_cert_arn,
    dash(tok_chosen_cert_serial) as chosen_cert_serial,
    dash(tok_tls_cipher) as tls_cipher,
    dash(tok_tls_protocol_version) as tls_protocol_version,
    dash(tok_tls_keyexchange) as tls_keyexchange,
    url_decode(dash(tok_domain_name)) as domain_name,
    dash(tok_alpn_fe_protocol) as alpn_fe_protocol,
    dash(tok_alpn_be_protocol) as alpn_be_protocol,
    url_decode(dash(tok_alpn_client_preference_list)) as alpn_client_preference_list,
    connection_at,
    extra_fields,
    source_file,
    source_line
from load_rows;
