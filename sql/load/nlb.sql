-- load: nlb
-- view: load_typed (temporary; re-created over each `batch`), then the insert into tls_connections
-- reads: batch (source_file, source_line, raw, one VARCHAR per field, extra_fields, and lb_hint,
--        lb_id_hint from the object's name); the variables since, until, lb (the ingest filter).
--        One batch may hold the lines of several small objects.
-- columns: the table's columns, then reject_reason, raw (rejected rows only)
--          and is_kept (inside the --since/--until/--lb filter)
-- NLB times have no fraction and no Z; they are UTC. domain_name is URL-encoded in the log.

create or replace temp view load_typed as
with typed as (
    select
        source_file,
        source_line,
        raw,
        "type" as type_token,
        "time" as time_token,
        elb,
        client,
        destination,
        connection_time as ct_token,
        tls_handshake_time as ht_token,
        received_bytes as rb_token,
        sent_bytes as sb_token,
        tls_connection_creation_time as cct_token,
        lb_name(elb) as lb,
        dash(elb) as lb_id,
        dash(version) as version,
        try_cast("time" as timestamp) as time,
        dash(listener) as listener,
        addr_ip(client) as client_ip,
        addr_port(client) as client_port,
        addr_ip(destination) as destination_ip,
        addr_port(destination) as destination_port,
        try_cast(dash(connection_time) as bigint) as connection_time_ms,
        try_cast(dash(tls_handshake_time) as bigint) as tls_handshake_time_ms,
        try_cast(dash(received_bytes) as bigint) as received_bytes,
        try_cast(dash(sent_bytes) as bigint) as sent_bytes,
        dash(incoming_tls_alert) as incoming_tls_alert,
        dash(chosen_cert_arn) as chosen_cert_arn,
        dash(chosen_cert_serial) as chosen_cert_serial,
        dash(tls_cipher) as tls_cipher,
        dash(tls_protocol_version) as tls_protocol_version,
        dash(tls_keyexchange) as tls_keyexchange,
        url_decode(dash(domain_name)) as domain_name,
        dash(alpn_fe_protocol) as alpn_fe_protocol,
        dash(alpn_be_protocol) as alpn_be_protocol,
        url_decode(dash(alpn_client_preference_list)) as alpn_client_preference_list,
        try_cast(dash(tls_connection_creation_time) as timestamp) as connection_at,
        extra_fields
    from batch
),
checked as (
    select
        *,
        coalesce(
            line_problem(raw),
            case
                when type_token <> 'tls' then field_problem('type', type_token, 'tls')
                when time is null then field_problem('time', time_token, 'an ISO 8601 time')
                when lb_id is null or not regexp_matches(elb, '^[a-z]+/[^/]+/[^/]+$')
                    then field_problem('elb', elb, 'a load balancer id (net/NAME/ID)')
                when client_ip is null or client_port is null
                    then field_problem('client:port', client, 'an address with a port')
                when dash(destination) is not null and destination_port is null
                    then field_problem('destination:port', destination, 'an address with a port')
                when unreadable(ct_token, connection_time_ms)
                    then field_problem('connection_time', ct_token, 'a number of milliseconds')
                when unreadable(ht_token, tls_handshake_time_ms)
                    then field_problem('tls_handshake_time', ht_token, 'a number of milliseconds')
                when unreadable(rb_token, received_bytes)
                    then field_problem('received_bytes', rb_token, 'a byte count')
                when unreadable(sb_token, sent_bytes)
                    then field_problem('sent_bytes', sb_token, 'a byte count')
                when unreadable(cct_token, connection_at)
                    then field_problem('tls_connection_creation_time', cct_token, 'an ISO 8601 time')
            end
        ) as reject_reason
    from typed
)
select
    * exclude (
        raw, type_token, time_token, elb, client, destination, ct_token, ht_token, rb_token,
        sb_token, cct_token
    ),
    case when reject_reason is not null then rtrim(raw, E'\r\n') end as raw,
    ((getvariable('lb')::varchar is null or lb = getvariable('lb'))
        and (getvariable('since')::timestamp is null or time >= getvariable('since'))
        and (getvariable('until')::timestamp is null or time < getvariable('until'))) as is_kept
from checked;

-- the writer's statement: the rows the checker let through, into their table
insert into tls_connections by name
select
    * exclude (reject_reason, raw, is_kept)
from load_typed;
