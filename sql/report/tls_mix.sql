-- query: tls_mix
-- shows: requests (ALB, Classic ELB) and TLS connections (NLB) per minute by TLS protocol
-- params: lb, since, until
-- columns: minute, protocol, count
-- Plain HTTP requests count as 'none'. NLB rows are placed by connection start, falling back to end.
with protocols as (
    select
        minute,
        coalesce(ssl_protocol, 'none') as protocol
    from request_facts
    where lb = $lb
        and arrived_at >= $since
        and arrived_at < $until
    union all
    select
        date_trunc('minute', coalesce(connection_at, time)) as minute,
        coalesce(tls_protocol_version, 'none') as protocol
    from tls_connections
    where lb = $lb
        and coalesce(connection_at, time) >= $since
        and coalesce(connection_at, time) < $until
)
select
    minute,
    protocol,
    count(*) as count
from protocols
group by minute, protocol
order by minute, protocol;
