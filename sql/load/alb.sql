-- load: alb
-- view: load_typed (temporary; re-created over each `batch`), then the insert into requests
-- reads: batch (source_file, source_line, raw, one VARCHAR per field, extra_fields, and lb_hint,
--        lb_id_hint from the object's name); the variables since, until, lb (the ingest filter).
--        One batch may hold the lines of several small objects.
-- columns: the table's columns, then reject_reason, raw (rejected rows only)
--          and is_kept (inside the --since/--until/--lb filter)
-- Types every field and names the first field that does not convert (the line then goes to
-- rejects with that reason).

create or replace temp view load_typed as
with typed as (
    select
        source_file,
        source_line,
        raw,
        "type" as type_token,
        "time" as time_token,
        elb,
        client,
        target,
        request_processing_time as rpt_token,
        target_processing_time as tpt_token,
        response_processing_time as spt_token,
        elb_status_code as esc_token,
        target_status_code as tsc_token,
        received_bytes as rb_token,
        sent_bytes as sb_token,
        matched_rule_priority as mrp_token,
        request_creation_time as rct_token,
        lb_name(elb) as lb,
        'alb' as lb_type,
        dash(elb) as lb_id,
        dash("type") as type,
        try_cast("time" as timestamp) as time,
        try_cast(dash(request_creation_time) as timestamp) as request_at,
        addr_ip(client) as client_ip,
        addr_port(client) as client_port,
        addr_ip(target) as target_ip,
        addr_port(target) as target_port,
        seconds(request_processing_time) as request_processing_time,
        seconds(target_processing_time) as target_processing_time,
        seconds(response_processing_time) as response_processing_time,
        try_cast(dash(elb_status_code) as integer) as elb_status_code,
        try_cast(dash(target_status_code) as integer) as target_status_code,
        try_cast(dash(received_bytes) as bigint) as received_bytes,
        try_cast(dash(sent_bytes) as bigint) as sent_bytes,
        request_method(request) as http_method,
        request_url(request) as url,
        request_version(request) as http_version,
        dash(user_agent) as user_agent,
        dash(ssl_cipher) as ssl_cipher,
        dash(ssl_protocol) as ssl_protocol,
        dash(target_group_arn) as target_group_arn,
        dash(trace_id) as trace_id,
        dash(domain_name) as domain_name,
        dash(chosen_cert_arn) as chosen_cert_arn,
        try_cast(dash(matched_rule_priority) as integer) as matched_rule_priority,
        dash(actions_executed) as actions_executed,
        dash(redirect_url) as redirect_url,
        dash(error_reason) as error_reason,
        dash(target_port_list) as target_port_list,
        dash(target_status_code_list) as target_status_code_list,
        dash(classification) as classification,
        dash(classification_reason) as classification_reason,
        dash(conn_trace_id) as conn_trace_id,
        dash(transformed_host) as transformed_host,
        dash(transformed_uri) as transformed_uri,
        dash(request_transform_status) as request_transform_status,
        dash(ip_address) as ip_address,
        extra_fields
    from batch
),
checked as (
    select
        *,
        coalesce(
            line_problem(raw),
            case
                when not regexp_matches(type_token, '^[a-z0-9]+$')
                    then field_problem('type', type_token, 'a request type (http, https, h2, ...)')
                when time is null then field_problem('time', time_token, 'an ISO 8601 time')
                when lb_id is null or not regexp_matches(elb, '^[a-z]+/[^/]+/[^/]+$')
                    then field_problem('elb', elb, 'a load balancer id (app/NAME/ID)')
                when client_ip is null or client_port is null
                    then field_problem('client:port', client, 'an address with a port')
                when dash(target) is not null and target_port is null
                    then field_problem('target:port', target, 'an address with a port')
                when unreadable(rpt_token, request_processing_time)
                    then field_problem('request_processing_time', rpt_token, 'a number of seconds')
                when unreadable(tpt_token, target_processing_time)
                    then field_problem('target_processing_time', tpt_token, 'a number of seconds')
                when unreadable(spt_token, response_processing_time)
                    then field_problem('response_processing_time', spt_token, 'a number of seconds')
                when unreadable(esc_token, elb_status_code)
                    then field_problem('elb_status_code', esc_token, 'a status code')
                when unreadable(tsc_token, target_status_code)
                    then field_problem('target_status_code', tsc_token, 'a status code')
                when unreadable(rb_token, received_bytes)
                    then field_problem('received_bytes', rb_token, 'a byte count')
                when unreadable(sb_token, sent_bytes)
                    then field_problem('sent_bytes', sb_token, 'a byte count')
                when unreadable(mrp_token, matched_rule_priority)
                    then field_problem('matched_rule_priority', mrp_token, 'a rule priority')
                when unreadable(rct_token, request_at)
                    then field_problem('request_creation_time', rct_token, 'an ISO 8601 time')
            end
        ) as reject_reason
    from typed
)
select
    * exclude (
        raw, type_token, time_token, elb, client, target, rpt_token, tpt_token, spt_token,
        esc_token, tsc_token, rb_token, sb_token, mrp_token, rct_token
    ),
    case when reject_reason is not null then rtrim(raw, E'\r\n') end as raw,
    ((getvariable('lb')::varchar is null or lb = getvariable('lb'))
        and (getvariable('since')::timestamp is null or coalesce(request_at, time) >= getvariable('since'))
        and (getvariable('until')::timestamp is null or coalesce(request_at, time) < getvariable('until'))) as is_kept
from checked;

-- the writer's statement: the rows the checker let through, into their table
insert into requests by name
select
    * exclude (reject_reason, raw, is_kept)
from load_typed;
