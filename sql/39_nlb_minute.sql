-- view: nlb_minute
-- grain: one row per Network Load Balancer per minute with TLS connections (minute the connection started)
-- sources: tls_connection_facts
-- columns: lb, minute, connections, failed_handshakes, failure_rate, tls_alerts, p50_handshake_ms,
--   p90_handshake_ms, p99_handshake_ms, handshake_samples
--
-- The NLB's counterpart of lb_minute, from its TLS access logs: connections opened, handshakes that
-- failed (no handshake time, or a TLS alert from the client) and their share, and exact handshake
-- time quantiles (quantile_cont) over the connections that logged one.
create or replace view nlb_minute as
with minutes as (
    select
        lb,
        minute,
        count(*) as connections,
        count(*) filter (where is_failed_handshake) as failed_handshakes,
        count(incoming_tls_alert) as tls_alerts,
        quantile_cont(handshake_ms, [0.5, 0.9, 0.99]) as quantiles,
        count(handshake_ms) as handshake_samples
    from tls_connection_facts
    group by lb, minute
)
select
    lb,
    minute,
    connections,
    failed_handshakes,
    failed_handshakes / connections as failure_rate,
    tls_alerts,
    quantiles[1] as p50_handshake_ms,
    quantiles[2] as p90_handshake_ms,
    quantiles[3] as p99_handshake_ms,
    handshake_samples
from minutes;
