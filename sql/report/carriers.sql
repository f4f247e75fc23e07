-- query: carriers
-- shows: the target groups, targets, listeners, paths, client networks, domains and user agents that
--   carried the requests of a period, most 5xx first (top 8 of each)
-- params: lb, period_start, period_end
-- columns: dimension, value, requests, errors, error_rate, share_of_errors, p99_ms
-- listener: scheme and port of the request URL; path: the URL path without its query string;
-- client network: the client address's /24 (IPv4) or /48 (IPv6); domain: the TLS SNI name.
-- A NULL value means the log line had none (no target, no TLS, a malformed request line).
with period as (
    select
        nullif(regexp_extract(target_group_arn, ':targetgroup/([^/]+)/', 1), '') as target_group,
        case
            when target_ip is null then null
            when strpos(target_ip, ':') > 0 then '[' || target_ip || ']:' || coalesce(target_port::varchar, '-')
            else target_ip || ':' || coalesce(target_port::varchar, '-')
        end as target,
        lower(nullif(regexp_extract(url, '^([A-Za-z][A-Za-z0-9+.-]*)://', 1), ''))
            || ':' || nullif(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*:([0-9]+)', 1), '') as listener,
        nullif(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[^?#]*)', 1), '') as path,
        case
            when client_ip is null then null
            when strpos(client_ip, ':') = 0 then nullif(regexp_extract(client_ip, '^([0-9]+\.[0-9]+\.[0-9]+)\.', 1), '') || '.0/24'
            else array_to_string(
                list_concat(
                    list_transform(
                        string_split(split_part(lower(client_ip), '::', 1), ':'),
                        lambda g: coalesce(nullif(g, ''), '0')
                    ),
                    ['0', '0', '0']
                )[1:3],
                ':'
            ) || '::/48'
        end as client_network,
        domain_name as domain,
        user_agent,
        elb_status_code,
        target_processing_time * 1000 as target_ms
    from requests
    where lb = $lb
        and coalesce(request_at, time) >= $period_start
        and coalesce(request_at, time) < $period_end
),
dimensions as (
    select
        dimension,
        value,
        elb_status_code,
        target_ms
    from period
    unpivot include nulls (
        value for dimension in (target_group, target, listener, path, client_network, domain, user_agent)
    )
),
grouped as (
    select
        dimension,
        value,
        count(*) as requests,
        count(*) filter (where elb_status_code between 500 and 599) as errors,
        quantile_cont(target_ms, 0.99) as p99_ms
    from dimensions
    group by dimension, value
),
totals as (
    select count(*) filter (where elb_status_code between 500 and 599) as errors
    from period
)
select
    grouped.dimension as dimension,
    grouped.value as value,
    grouped.requests as requests,
    grouped.errors as errors,
    grouped.errors / grouped.requests as error_rate,
    grouped.errors / nullif(totals.errors, 0) as share_of_errors,
    grouped.p99_ms as p99_ms
from grouped
cross join totals
qualify row_number() over (
    partition by grouped.dimension
    order by grouped.errors desc, grouped.requests desc, grouped.value nulls last
) <= 8
order by
    list_position(['target_group', 'target', 'listener', 'path', 'client_network', 'domain', 'user_agent'], grouped.dimension),
    grouped.errors desc,
    grouped.requests desc,
    grouped.value nulls last;
