-- view: tls_minute
-- grain: one row per load balancer, minute, TLS protocol and cipher, over requests that used TLS
-- sources: request_facts
-- columns: lb, minute, ssl_protocol, ssl_cipher, requests, share
--
-- share is the part of that minute's TLS requests (ssl_protocol not NULL) that used this protocol and
-- cipher, 0..1. Clients whose handshake failed are not in the access logs at all: a protocol that
-- vanishes here is clients the load balancer no longer accepts.
create or replace view tls_minute as
with counted as (
    select
        lb,
        minute,
        ssl_protocol,
        ssl_cipher,
        count(*) as requests
    from request_facts
    where ssl_protocol is not null
    group by all
)
select
    lb,
    minute,
    ssl_protocol,
    ssl_cipher,
    requests,
    requests / sum(requests) over (partition by lb, minute) as share
from counted;
