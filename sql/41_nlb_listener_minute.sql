-- view: nlb_listener_minute
-- grain: one row per Network Load Balancer, minute, listener, domain (SNI) and certificate
-- sources: tls_connection_facts
-- columns: lb, minute, listener, domain_name, chosen_cert_arn, connections, failed_handshakes, failure_rate,
--   p99_handshake_ms
--
-- listener is the listener's resource ID (the last part of its ARN). A certificate change shows as a
-- new chosen_cert_arn; a failed handshake often has no certificate (no valid ClientHello), so its
-- rows carry chosen_cert_arn NULL.
create or replace view nlb_listener_minute as
select
    lb,
    minute,
    listener,
    domain_name,
    chosen_cert_arn,
    count(*) as connections,
    count(*) filter (where is_failed_handshake) as failed_handshakes,
    count(*) filter (where is_failed_handshake) / count(*) as failure_rate,
    quantile_cont(handshake_ms, 0.99) as p99_handshake_ms
from tls_connection_facts
group by lb, minute, listener, domain_name, chosen_cert_arn;
