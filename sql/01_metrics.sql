-- tables: metrics_minute, metric_fetches
-- CloudWatch's one-minute ELB metrics (`correlate ingest metrics`), beside the tables of
-- 00_tables.sql. Every timestamp is UTC. Reference: docs/metrics.md.

-- table: metrics_minute
-- grain: one row per load balancer, namespace, scope, metric, statistic and minute with a datapoint
-- Unique by (lb, namespace, scope, scope_name, metric, statistic, minute): sql/load/metrics.sql, the
-- only statement that writes it, adds only the keys it lacks. (A primary key index made loading a
-- 15-day window 2.7 times slower.)
create table if not exists metrics_minute (
    lb varchar not null,               -- load balancer name
    lb_type varchar,                   -- alb, nlb or clb
    namespace varchar not null,        -- AWS/ApplicationELB, AWS/NetworkELB, AWS/ELB
    scope varchar not null,            -- lb, target_group or az
    scope_name varchar not null,       -- '' for the load balancer, the target group's name, or the zone
    metric varchar not null,           -- CloudWatch's metric name (RequestCount, HealthyHostCount, ...)
    statistic varchar not null,        -- Sum, Average, Maximum, p50, p90, p99
    minute timestamp not null,         -- start of the minute
    value double,                      -- in the metric's unit (seconds for latencies)
    source varchar,                    -- cloudwatch:REGION, or the file it was read from
    loaded_at timestamp
);

-- table: metric_fetches
-- grain: one row per series per read (an API call's window, or a file): what was asked and answered
create table if not exists metric_fetches (
    lb varchar,
    lb_type varchar,
    namespace varchar,
    scope varchar,
    scope_name varchar,
    metric varchar,
    statistic varchar,
    dimensions json,                   -- the query's dimensions, as CloudWatch names them
    since timestamp,                   -- the minutes asked for: since <= minute < until
    until timestamp,
    datapoints bigint,                 -- how many came back (0: CloudWatch has none in the window)
    status varchar,                    -- Complete, PartialData, InternalError, Forbidden
    messages varchar,                  -- CloudWatch's messages about the series, if any
    source varchar,
    fetched_at timestamp
);
