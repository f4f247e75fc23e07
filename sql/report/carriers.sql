-- query: carriers
-- shows: the target groups, targets, listeners, paths, client networks, domains and user agents that
--   carried the requests of a period: each value with at least 1% of its 5xx or of its requests, most
--   5xx first (at most 8 of each), then the rest in one row
-- params: lb, period_start, period_end
-- columns: dimension, value, is_rest, values_in_row, requests, errors, error_rate, share_of_errors, p99_ms
-- The rest row (is_rest, value NULL) sums the values left out: values_in_row says how many.
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
    select
        count(*) as requests,
        count(*) filter (where elb_status_code between 500 and 599) as errors
    from period
),
shown as (
    select
        grouped.dimension as dimension,
        grouped.value as value
    from grouped
    cross join totals
    where (grouped.errors > 0 and grouped.errors >= 0.01 * totals.errors)
        or grouped.requests >= 0.01 * totals.requests
    qualify row_number() over (
        partition by grouped.dimension
        order by grouped.errors desc, grouped.requests desc, grouped.value nulls last
    ) <= 8
),
marked as (
    select
        dimensions.*,
        shown.dimension is null as is_rest
    from dimensions
    left join shown
        on shown.dimension = dimensions.dimension
        and shown.value is not distinct from dimensions.value
),
carried as (
    select
        dimension,
        case when not is_rest then value end as value,
        is_rest,
        count(distinct value) + (count(*) filter (where value is null) > 0)::integer as values_in_row,
        count(*) as requests,
        count(*) filter (where elb_status_code between 500 and 599) as errors,
        quantile_cont(target_ms, 0.99) as p99_ms
    from marked
    group by dimension, case when not is_rest then value end, is_rest
)
select
    carried.dimension as dimension,
    carried.value as value,
    carried.is_rest as is_rest,
    carried.values_in_row as values_in_row,
    carried.requests as requests,
    carried.errors as errors,
    carried.errors / carried.requests as error_rate,
    carried.errors / nullif(totals.errors, 0) as share_of_errors,
    carried.p99_ms as p99_ms
from carried
cross join totals
order by
    list_position(['target_group', 'target', 'listener', 'path', 'client_network', 'domain', 'user_agent'], carried.dimension),
    carried.is_rest,
    carried.errors desc,
    carried.requests desc,
    carried.value nulls last;
