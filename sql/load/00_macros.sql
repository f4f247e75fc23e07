-- macros: token helpers for the load statements in this folder
-- Each load statement reads a relation `batch`: source_line, raw, one VARCHAR per log field (NULL
-- where the line stopped early), extra_fields. These temporary macros type one token each.

-- '-' (or nothing) means "no value"
create or replace temp macro dash(v) as nullif(nullif(v, '-'), '');

-- a timing in seconds; -1 means "not measured"
create or replace temp macro seconds(v) as
    case when dash(v) is null or v = '-1' then null else try_cast(v as double) end;

-- host of "host:port"; IPv6 is written without brackets, so split at the last colon
create or replace temp macro addr_ip(v) as
    case when dash(v) is not null and strpos(v, ':') > 0
        then trim(left(v, length(v) - strpos(reverse(v), ':')), '[]') end;

create or replace temp macro addr_port(v) as
    case when dash(v) is not null and strpos(v, ':') > 0
        then try_cast(right(v, strpos(reverse(v), ':') - 1) as integer) end;

-- a token that should have converted but did not
create or replace temp macro unreadable(v, typed) as dash(v) is not null and v <> '-1' and typed is null;

-- the request line: method before the first space, version after the last, URL in between;
-- Classic ELB's TCP lines hold "- - - " (a trailing space), so trailing spaces are dropped first
create or replace temp macro last_space(r) as length(r) - strpos(reverse(r), ' ') + 1;

create or replace temp macro request_method(r) as
    case when strpos(rtrim(r), ' ') > 0 then dash(left(rtrim(r), strpos(rtrim(r), ' ') - 1)) end;

create or replace temp macro request_version(r) as
    case when strpos(rtrim(r), ' ') > 0 and last_space(rtrim(r)) > strpos(rtrim(r), ' ')
        then dash(substr(rtrim(r), last_space(rtrim(r)) + 1)) end;

create or replace temp macro request_url(r) as dash(
    case
        when strpos(rtrim(r), ' ') = 0 then rtrim(r)
        when last_space(rtrim(r)) = strpos(rtrim(r), ' ') then substr(rtrim(r), strpos(rtrim(r), ' ') + 1)
        else substr(
            rtrim(r),
            strpos(rtrim(r), ' ') + 1,
            last_space(rtrim(r)) - strpos(rtrim(r), ' ') - 1
        )
    end);

-- the load balancer's name in app/NAME/ID, net/NAME/ID (or a Classic ELB's bare name)
create or replace temp macro lb_name(elb) as
    case when strpos(elb, '/') > 0 then split_part(elb, '/', 2) else elb end;

-- a line that is empty or holds binary data fails before any field is read
create or replace temp macro line_problem(raw) as
    case
        when length(raw) <= 2 and rtrim(raw, E'\r\n') = '' then 'blank line'
        when strpos(raw, chr(0)) > 0 then 'line contains NUL bytes (binary data, not a log line)'
    end;

-- the message for a field that did not convert
create or replace temp macro field_problem(name, v, expected) as
    name || ': ' || v || ' is not ' || expected;

-- inside the ingest filter (--lb, --since, --until, set as variables)
create or replace temp macro in_filter(lb_value, moment) as
    (getvariable('lb')::varchar is null or lb_value = getvariable('lb'))
    and (getvariable('since')::timestamp is null or moment >= getvariable('since'))
    and (getvariable('until')::timestamp is null or moment < getvariable('until'));
