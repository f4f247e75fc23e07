-- view: request_spans
-- grain: one row per load balancer per day (UTC) with traffic
-- sources: request_facts
-- columns: lb, first_at, last_at, requests
--
-- When each load balancer's requests arrived, day by day: what a timeline without --since/--until
-- spans when it reads the lake's per-minute cells instead of requests (docs/lake.md).
create or replace view request_spans as
select
    lb,
    min(arrived_at) as first_at,
    max(arrived_at) as last_at,
    count(*) as requests
from request_facts
group by lb, cast(arrived_at as date);
