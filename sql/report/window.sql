-- query: window
-- shows: the load balancer and the time span of its logs (the window when --since/--until are not given)
-- params: lb
-- columns: lb, lb_type, first_seen, last_seen, requests, tls_connections, changes
select
    lb,
    lb_type,
    first_seen,
    last_seen,
    requests,
    tls_connections,
    changes
from load_balancers
where lb = $lb;
