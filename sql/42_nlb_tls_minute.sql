-- view: nlb_tls_minute
-- grain: one row per Network Load Balancer, minute, listener, TLS protocol and cipher
-- sources: tls_connection_facts
-- columns: lb, minute, listener, tls_protocol_version, tls_cipher, connections, failed_handshakes, share
--
-- share is the part of the listener's connections that minute with this protocol and cipher, 0..1.
-- Unlike ALB access logs, NLB logs the connections whose handshake failed, with protocol and cipher
-- NULL: after a TLS policy that old clients cannot meet, their protocol's share moves to the NULL row.
create or replace view nlb_tls_minute as
with counted as (
    select
        lb,
        minute,
        listener,
        tls_protocol_version,
        tls_cipher,
        count(*) as connections,
        count(*) filter (where is_failed_handshake) as failed_handshakes
    from tls_connection_facts
    group by lb, minute, listener, tls_protocol_version, tls_cipher
)
select
    lb,
    minute,
    listener,
    tls_protocol_version,
    tls_cipher,
    connections,
    failed_handshakes,
    connections / sum(connections) over (partition by lb, minute, listener) as share
from counted;
