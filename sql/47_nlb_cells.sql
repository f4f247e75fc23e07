-- view: nlb_cells
-- grain: one row per Network Load Balancer, minute, TLS protocol, cipher and handshake-time bin
--   (NULL bin: no handshake time)
-- sources: tls_connection_facts
-- columns: lb, minute, tls_protocol_version, tls_cipher, handshake_bin, connections, failed_handshakes
--
-- The timeline's input for an NLB from its TLS access logs, as latency_cells is for an ALB: one pass
-- gives connections, failed handshakes, the protocol and cipher mix, and a histogram of handshake
-- times in request_facts' latency bins (1 ms wide below 16 ms, then 5 % wide), so quantiles over
-- any time bucket come from summed histograms.
create or replace view nlb_cells as
select
    lb,
    minute,
    tls_protocol_version,
    tls_cipher,
    case
        when handshake_ms is null then null
        when handshake_ms < 16 then handshake_ms::integer
        else 16 + floor(ln(handshake_ms / 16) * 20)::integer
    end as handshake_bin,
    count(*) as connections,
    count(*) filter (where is_failed_handshake) as failed_handshakes
from tls_connection_facts
group by all;
