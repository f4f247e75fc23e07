-- view: listener_minute
-- grain: one row per load balancer, listener port, domain (TLS SNI) and minute with traffic
-- sources: request_facts
-- columns: lb, minute, listener_port, domain_name, requests, elb_5xx, target_5xx, status_4xx, errors,
--   error_rate
--
-- listener_port is the port in the request URL (the listener that took the request); NULL for Classic
-- ELB TCP/SSL listener rows, which have no request line. domain_name is NULL without SNI.
create or replace view listener_minute as
select
    lb,
    minute,
    listener_port,
    domain_name,
    count(*) as requests,
    count(*) filter (where is_elb_5xx) as elb_5xx,
    count(*) filter (where is_target_5xx) as target_5xx,
    count(*) filter (where is_4xx) as status_4xx,
    count(*) filter (where is_error) as errors,
    count(*) filter (where is_error) / count(*) as error_rate
from request_facts
group by lb, minute, listener_port, domain_name;
