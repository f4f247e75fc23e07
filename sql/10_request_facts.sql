-- view: request_facts
-- grain: one row per request (ALB or Classic ELB), with the derived fields every series is built from
-- sources: requests
-- columns: lb, lb_type, lb_id, arrived_at, logged_at, minute, listener_port, domain_name, target_group_arn, target_group,
--   target_ip, target_port, target, ssl_protocol, ssl_cipher, elb_status_code, target_status_code,
--   status_class, is_lb_generated, is_elb_5xx, is_target_5xx, is_4xx, is_incomplete, is_error, target_ms,
--   latency_bin, matched_rule_priority, source_file
--
-- Bucketing: every series counts a request in the minute it ARRIVED (ALB request_creation_time, Classic
-- timestamp; ALB `time` only when the arrival time is missing), so a slow request is counted when it was
-- sent, not when it finished. `arrived_at` is the one definition of that time: every view and query
-- that asks when requests arrived reads it here. `logged_at` is the entry's own `time` (ALB: response
-- sent; Classic: request received).
-- Latency (`target_ms`) is the target processing time of requests that reached a target; rows whose
-- timings were -1 (NULL) have none and count as errors (`is_incomplete`), except the answers the load
-- balancer gives on purpose (redirects, fixed responses: actions_executed, or a code below 400 it
-- generated itself), which ALB also logs with -1 timings.
-- `latency_bin` is the histogram bin of `target_ms`: 1 ms wide below 16 ms, then 5 % wide
-- (bin b >= 16 covers 16 * e^((b - 16) / 20) ms up to the next bin's start).
create or replace view request_facts as
with base as (
    select
        lb,
        lb_type,
        lb_id,
        coalesce(request_at, time) as arrived_at,
        time as logged_at,
        url,
        domain_name,
        target_group_arn,
        target_ip,
        target_port,
        ssl_protocol,
        ssl_cipher,
        elb_status_code,
        target_status_code,
        target_processing_time,
        target_ip is not null or target_group_arn is not null as has_target,
        coalesce(
            elb_status_code is not null
            and (target_status_code is null or target_status_code <> elb_status_code),
            false
        ) as is_lb_generated,
        (
            request_processing_time is null
            or target_processing_time is null
            or response_processing_time is null
        ) as has_missing_timing,
        actions_executed,
        matched_rule_priority,
        source_file
    from requests
),
judged as (
    select
        *,
        is_lb_generated and elb_status_code between 500 and 599 as is_elb_5xx,
        coalesce(target_status_code between 500 and 599, false) as is_target_5xx,
        has_missing_timing
        and not (is_lb_generated and elb_status_code < 400)
        and not coalesce(actions_executed like '%redirect%' or actions_executed like '%fixed-response%', false)
            as is_incomplete
    from base
)
select
    lb,
    lb_type,
    lb_id,
    arrived_at,
    logged_at,
    date_trunc('minute', arrived_at) as minute,
    try_cast(nullif(regexp_extract(url, ':([0-9]+)/', 1), '') as integer) as listener_port,
    domain_name,
    target_group_arn,
    nullif(regexp_extract(target_group_arn, 'targetgroup/([^/]+)', 1), '') as target_group,
    target_ip,
    target_port,
    target_ip || coalesce(':' || target_port, '') as target,
    ssl_protocol,
    ssl_cipher,
    elb_status_code,
    target_status_code,
    (elb_status_code // 100)::varchar || 'xx' as status_class,
    is_lb_generated,
    is_elb_5xx,
    is_target_5xx,
    coalesce(elb_status_code between 400 and 499, false) as is_4xx,
    is_incomplete,
    is_elb_5xx or is_target_5xx or is_incomplete as is_error,
    case when has_target then round(target_processing_time * 1000, 3) end as target_ms,
    case
        when not has_target then null
        when target_processing_time < 0.016 then floor(target_processing_time * 1000 + 1e-6)::integer
        else 16 + floor(ln(target_processing_time * 62.5) * 20)::integer
    end as latency_bin,
    matched_rule_priority,
    source_file
from judged;
