-- view: tls_connection_facts
-- grain: one row per NLB TLS connection, with the derived fields the NLB views are built from
-- sources: tls_connections
-- columns: lb, listener, connected_at, minute, client_ip, client_network, domain_name, chosen_cert_arn,
--   tls_protocol_version, tls_cipher, handshake_ms, connection_ms, incoming_tls_alert, is_failed_handshake
--
-- Bucketing: a connection counts in the minute it STARTED (tls_connection_creation_time; the end
-- `time` only in older lines without it), because that is when its handshake ran.
-- A failed handshake: the NLB logged no handshake time ("-"), or the client sent a TLS alert
-- (incoming_tls_alert set). Both are what a TLS policy or certificate the clients reject looks like.
-- client_network: the client address's /24 (IPv4) or /48 (IPv6), the same expression as the report's
-- carriers query (whose SQL the report prints whole, so it does not call a shared macro).
create or replace view tls_connection_facts as
select
    lb,
    listener,
    coalesce(connection_at, time) as connected_at,
    date_trunc('minute', coalesce(connection_at, time)) as minute,
    client_ip,
    case
        when client_ip is null then null
        when strpos(client_ip, ':') = 0
            then nullif(regexp_extract(client_ip, '^([0-9]+\.[0-9]+\.[0-9]+)\.', 1), '') || '.0/24'
        else array_to_string(
            list_concat(
                list_transform(
                    string_split(split_part(lower(client_ip), '::', 1), ':'),
                    lambda g: coalesce(nullif(g, ''), '0')
                ),
                ['0', '0', '0']
            )[1:3],
            ':'
        ) || '::/48'
    end as client_network,
    domain_name,
    chosen_cert_arn,
    tls_protocol_version,
    tls_cipher,
    tls_handshake_time_ms as handshake_ms,
    connection_time_ms as connection_ms,
    incoming_tls_alert,
    tls_handshake_time_ms is null or incoming_tls_alert is not null as is_failed_handshake
from tls_connections;
