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
-- client_network: the client address's /24 (IPv4) or /48 (IPv6), as the report's carriers.
create or replace view tls_connection_facts as
select
    lb,
    listener,
    coalesce(connection_at, time) as connected_at,
    date_trunc('minute', coalesce(connection_at, time)) as minute,
    client_ip,
    client_network(client_ip) as client_network,
    domain_name,
    chosen_cert_arn,
    tls_protocol_version,
    tls_cipher,
    tls_handshake_time_ms as handshake_ms,
    connection_time_ms as connection_ms,
    incoming_tls_alert,
    tls_handshake_time_ms is null or incoming_tls_alert is not null as is_failed_handshake
from tls_connections;
