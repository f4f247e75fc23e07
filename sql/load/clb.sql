-- load: clb
-- reads: batch (source_file, source_line, raw, tok_<field> VARCHAR for each Classic ELB field, NULL
--        where the line stopped early, extra_fields, and lb_hint, lb_id_hint from the object's
--        name; one batch may hold the lines of several small objects); the variables since,
--        until, lb (the ingest filter)
-- statements: 1. view load_fields: the tokens, plus the values that can fail to convert, typed
--             2. view load_checked: load_fields plus reject_reason (the first field that did not
--                convert) and is_kept (inside the --since/--until/--lb filter)
--             3. the insert of the view load_rows (sql/load/rows_*.sql) into requests
-- Checkers run 1-2 and sql/load/problems.sql on chunks; the writer runs 1-3 once per run, streaming.
-- A Classic ELB logs when it received the request, so `time` and `request_at` are the same. TCP and
-- SSL listener lines have no status codes and the request "- - - ".

create or replace temp view load_fields as
select
    *,
    dash(tok_elb) as lb,
    try_cast(tok_timestamp as timestamp) as time,
    addr_ip(tok_client) as client_ip,
    addr_port(tok_client) as client_port,
    addr_ip(tok_backend) as target_ip,
    addr_port(tok_backend) as target_port,
    seconds(tok_request_processing_time) as request_processing_time,
    seconds(tok_backend_processing_time) as target_processing_time,
    seconds(tok_response_processing_time) as response_processing_time,
    try_cast(dash(tok_elb_status_code) as integer) as elb_status_code,
    try_cast(dash(tok_backend_status_code) as integer) as target_status_code,
    try_cast(dash(tok_received_bytes) as bigint) as received_bytes,
    try_cast(dash(tok_sent_bytes) as bigint) as sent_bytes
from batch;

create or replace temp view load_checked as
select
    *,
    coalesce(
        line_problem(raw),
        case
            when time is null then field_problem('timestamp', tok_timestamp, 'an ISO 8601 time')
            when lb is null or strpos(tok_elb, '/') > 0 or strpos(tok_elb, ':') > 0
                then field_problem('elb', tok_elb, 'a Classic ELB name')
            when client_ip is null or client_port is null
                then field_problem('client:port', tok_client, 'an address with a port')
            when dash(tok_backend) is not null and target_port is null
                then field_problem('backend:port', tok_backend, 'an address with a port')
            when unreadable(tok_request_processing_time, request_processing_time)
                then field_problem('request_processing_time', tok_request_processing_time, 'a number of seconds')
            when unreadable(tok_backend_processing_time, target_processing_time)
                then field_problem('backend_processing_time', tok_backend_processing_time, 'a number of seconds')
            when unreadable(tok_response_processing_time, response_processing_time)
                then field_problem('response_processing_time', tok_response_processing_time, 'a number of seconds')
            when unreadable(tok_elb_status_code, elb_status_code)
                then field_problem('elb_status_code', tok_elb_status_code, 'a status code')
            when unreadable(tok_backend_status_code, target_status_code)
                then field_problem('backend_status_code', tok_backend_status_code, 'a status code')
            when unreadable(tok_received_bytes, received_bytes)
                then field_problem('received_bytes', tok_received_bytes, 'a byte count')
            when unreadable(tok_sent_bytes, sent_bytes)
                then field_problem('sent_bytes', tok_sent_bytes, 'a byte count')
        end
    ) as reject_reason,
    in_filter(lb, time) as is_kept
from load_fields;

insert into requests by name
select
    lb,
    'clb' as lb_type,
    lb as lb_id,
    time,
    time as request_at,
    client_ip,
    client_port,
    target_ip,
    target_port,
    request_processing_time,
    target_processing_time,
    response_processing_time,
    elb_status_code,
    target_status_code,
    received_bytes,
    sent_bytes,
    request_method(tok_request) as http_method,
    request_url(tok_request) as url,
    request_version(tok_request) as http_version,
    dash(tok_user_agent) as user_agent,
    dash(tok_ssl_cipher) as ssl_cipher,
    dash(tok_ssl_protocol) as ssl_protocol,
    extra_fields,
    source_file,
    source_line
from load_rows;
