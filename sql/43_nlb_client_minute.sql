-- view: nlb_client_minute
-- grain: one row per Network Load Balancer, minute and client network (/24 for IPv4, /48 for IPv6)
-- sources: tls_connection_facts
-- columns: lb, minute, client_network, connections, failed_handshakes, failure_rate, share
--
-- Which clients a change turned away: failures concentrated in a few networks point at old clients
-- (a TLS policy) or one integration, spread over all of them at the listener itself. share is the
-- part of the load balancer's connections that minute from this network.
create or replace view nlb_client_minute as
with counted as (
    select
        lb,
        minute,
        client_network,
        count(*) as connections,
        count(*) filter (where is_failed_handshake) as failed_handshakes
    from tls_connection_facts
    group by lb, minute, client_network
)
select
    lb,
    minute,
    client_network,
    connections,
    failed_handshakes,
    failed_handshakes / connections as failure_rate,
    connections / sum(connections) over (partition by lb, minute) as share
from counted;
