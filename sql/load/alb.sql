-- load: alb
-- reads: batch (source_file, source_line, raw, tok_<field> VARCHAR for each ALB field, NULL
--        where the line stopped early, extra_fields, and lb_hint, lb_id_hint from the object's
--        name; one batch may hold the lines of several small objects); the variables since,
--        until, lb (the ingest filter)
-- statements: 1. view load_fields: the tokens, plus the values that can fail to convert, typed
--             2. view load_checked: load_fields plus reject_reason (the first field that did not
--                convert) and is_kept (inside the --since/--until/--lb filter)
--             3. the insert of the view load_rows (sql/load/rows_*.sql) into requests
-- Checkers run 1-2 and sql/load/problems.sql on chunks; the writer runs 1-3 once per run, streaming.

create or replace temp view load_fields as
select
    *,
    lb_name(tok_elb) as lb,
    dash(tok_elb) as lb_id,
    try_cast(tok_time as timestamp) as time,
    try_cast(dash(tok_request_creation_time) as timestamp) as request_at,
    addr_ip(tok_client) as client_ip,
    addr_port(tok_client) as client_port,
    addr_ip(tok_target) as target_ip,
    addr_port(tok_target) as target_port,
    seconds(tok_request_processing_time) as request_processing_time,
    seconds(tok_target_processing_time) as target_processing_time,
    seconds(tok_response_processing_time) as response_processing_time,
    try_cast(dash(tok_elb_status_code) as integer) as elb_status_code,
    try_cast(dash(tok_target_status_code) as integer) as target_status_code,
    try_cast(dash(tok_received_bytes) as bigint) as received_bytes,
    try_cast(dash(tok_sent_bytes) as bigint) as sent_bytes,
    try_cast(dash(tok_matched_rule_priority) as integer) as matched_rule_priority
from batch;

create or replace temp view load_checked as
select
    *,
    coalesce(
        line_problem(raw),
        case
            when not regexp_matches(tok_type, '^[a-z0-9]+$')
                then field_problem('type', tok_type, 'a request type (http, https, h2, ...)')
            when time is null then field_problem('time', tok_time, 'an ISO 8601 time')
            when lb_id is null or not regexp_matches(tok_elb, '^[a-z]+/[^/]+/[^/]+$')
                then field_problem('elb', tok_elb, 'a load balancer id (app/NAME/ID)')
            when client_ip is null or client_port is null
                then field_problem('client:port', tok_client, 'an address with a port')
            when dash(tok_target) is not null and target_port is null
                then field_problem('target:port', tok_target, 'an address with a port')
            when unreadable(tok_request_processing_time, request_processing_time)
                then field_problem('request_processing_time', tok_request_processing_time, 'a number of seconds')
            when unreadable(tok_target_processing_time, target_processing_time)
                then field_problem('target_processing_time', tok_target_processing_time, 'a number of seconds')
            when unreadable(tok_response_processing_time, response_processing_time)
                then field_problem('response_processing_time', tok_response_processing_time, 'a number of seconds')
            when unreadable(tok_elb_status_code, elb_status_code)
                then field_problem('elb_status_code', tok_elb_status_code, 'a status code')
            when unreadable(tok_target_status_code, target_status_code)
                then field_problem('target_status_code', tok_target_status_code, 'a status code')
            when unreadable(tok_received_bytes, received_bytes)
                then field_problem('received_bytes', tok_received_bytes, 'a byte count')
            when unreadable(tok_sent_bytes, sent_bytes)
                then field_problem('sent_bytes', tok_sent_bytes, 'a byte count')
            when unreadable(tok_matched_rule_priority, matched_rule_priority)
                then field_problem('matched_rule_priority', tok_matched_rule_priority, 'a rule priority')
            when unreadable(tok_request_creation_time, request_at)
                then field_problem('request_creation_time', tok_request_creation_time, 'an ISO 8601 time')
        end
    ) as reject_reason,
    in_filter(lb, coalesce(request_at, time)) as is_kept
from load_fields;

insert into requests by name
select
    lb,
    'alb' as lb_type,
    lb_id,
    dash(tok_type) as type,
    time,
    request_at,
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
    dash(tok_target_group_arn) as target_group_arn,
    dash(tok_trace_id) as trace_id,
    dash(trim(tok_domain_name)) as domain_name,       -- a server name holds no spaces; some lines pad it
    dash(tok_chosen_cert_arn) as chosen_cert_arn,
    matched_rule_priority,
    dash(tok_actions_executed) as actions_executed,
    dash(tok_redirect_url) as redirect_url,
    dash(tok_error_reason) as error_reason,
    dash(tok_target_port_list) as target_port_list,
    dash(tok_target_status_code_list) as target_status_code_list,
    dash(tok_classification) as classification,
    dash(tok_classification_reason) as classification_reason,
    dash(tok_conn_trace_id) as conn_trace_id,
    dash(tok_transformed_host) as transformed_host,
    dash(tok_transformed_uri) as transformed_uri,
    dash(tok_request_transform_status) as request_transform_status,
    dash(tok_ip_address) as ip_address,
    extra_fields,
    source_file,
    source_line
from load_rows;
