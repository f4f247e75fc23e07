-- view: frontend_cells
-- grain: one row per load balancer, minute, listener port, domain, TLS protocol and cipher, and
--   the listener rule that matched (ALB; NULL for Classic ELB)
-- sources: request_facts
-- columns: lb, minute, listener_port, domain_name, ssl_protocol, ssl_cipher, matched_rule_priority,
--   requests, elb_5xx, target_5xx, status_4xx, errors
--
-- The timeline's front-end input: the listener, domain and TLS slices, summed from these cells, and
-- the requests each listener rule matched (was a changed rule reached at all?).
create or replace view frontend_cells as
select
    lb,
    minute,
    listener_port,
    domain_name,
    ssl_protocol,
    ssl_cipher,
    matched_rule_priority,
    count(*) as requests,
    count(*) filter (where is_elb_5xx) as elb_5xx,
    count(*) filter (where is_target_5xx) as target_5xx,
    count(*) filter (where is_4xx) as status_4xx,
    count(*) filter (where is_error) as errors
from request_facts
group by lb, minute, listener_port, domain_name, ssl_protocol, ssl_cipher, matched_rule_priority;
