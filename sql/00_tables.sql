-- tables: requests, tls_connections, connections, health_checks, rejects, ingested_files, api_calls,
--   change_events, changes, inventory
-- The tables ingest writes. Every timestamp is UTC. `source_file` is the absolute path or the
-- s3://bucket/key URI of the input; `source_line` is 1-based. Schema reference: docs/schema.md.

create table if not exists correlate_meta (
    key varchar primary key,
    value varchar
);

-- table: requests
-- grain: one row per ALB or Classic ELB access-log entry
create table if not exists requests (
    lb varchar,                        -- load balancer name
    lb_type varchar,                   -- 'alb' or 'clb'
    lb_id varchar,                     -- app/NAME/ID for an ALB, the name for a Classic ELB
    type varchar,                      -- ALB request type: http, https, h2, grpcs, ws, wss
    time timestamp,                    -- ALB: response sent (WebSocket: closed); CLB: request received
    request_at timestamp,              -- request received (ALB request_creation_time, CLB timestamp)
    client_ip varchar,
    client_port integer,
    target_ip varchar,
    target_port integer,
    request_processing_time double,    -- seconds; NULL where the log says -1
    target_processing_time double,
    response_processing_time double,
    elb_status_code integer,
    target_status_code integer,
    received_bytes bigint,
    sent_bytes bigint,
    http_method varchar,
    url varchar,
    http_version varchar,
    user_agent varchar,
    ssl_cipher varchar,
    ssl_protocol varchar,
    target_group_arn varchar,
    trace_id varchar,
    domain_name varchar,
    chosen_cert_arn varchar,
    matched_rule_priority integer,
    actions_executed varchar,
    redirect_url varchar,
    error_reason varchar,
    target_port_list varchar,
    target_status_code_list varchar,
    classification varchar,
    classification_reason varchar,
    conn_trace_id varchar,
    transformed_host varchar,
    transformed_uri varchar,
    request_transform_status varchar,
    ip_address varchar,                -- the load balancer node that handled the request
    extra_fields varchar[],            -- tokens beyond the last known field
    source_file varchar,
    source_line bigint
);

-- table: tls_connections
-- grain: one row per NLB TLS access-log entry
create table if not exists tls_connections (
    lb varchar,
    lb_id varchar,
    version varchar,
    time timestamp,                    -- end of the TLS connection
    listener varchar,
    client_ip varchar,
    client_port integer,
    destination_ip varchar,
    destination_port integer,
    connection_time_ms bigint,
    tls_handshake_time_ms bigint,
    received_bytes bigint,
    sent_bytes bigint,
    incoming_tls_alert varchar,
    chosen_cert_arn varchar,
    chosen_cert_serial varchar,
    tls_cipher varchar,
    tls_protocol_version varchar,
    tls_keyexchange varchar,
    domain_name varchar,
    alpn_fe_protocol varchar,
    alpn_be_protocol varchar,
    alpn_client_preference_list varchar,
    connection_at timestamp,           -- tls_connection_creation_time: start of the connection
    extra_fields varchar[],
    source_file varchar,
    source_line bigint
);

-- table: connections
-- grain: one row per ALB connection-log entry (one per client connection attempt)
create table if not exists connections (
    lb varchar,
    lb_id varchar,
    time timestamp,                    -- connection established or failed
    client_ip varchar,
    client_port integer,
    listener_port integer,
    tls_protocol varchar,
    tls_cipher varchar,
    tls_handshake_ms double,
    leaf_client_cert_subject varchar,
    leaf_client_cert_validity varchar,
    leaf_client_cert_serial_number varchar,
    tls_verify_status varchar,         -- Success, or Failed:<code>
    conn_trace_id varchar,
    tls_keyexchange varchar,
    ip_address varchar,
    extra_fields varchar[],
    source_file varchar,
    source_line bigint
);

-- table: health_checks
-- grain: one row per ALB health-check-log entry
create table if not exists health_checks (
    lb varchar,
    lb_id varchar,
    type varchar,
    time timestamp,                    -- the check started
    latency_ms double,
    target_addr varchar,               -- ip:port, or a Lambda ARN
    target_ip varchar,
    target_port integer,
    target_group varchar,              -- the target group's name
    status varchar,                    -- PASS or FAIL
    status_code integer,
    reason_code varchar,
    ip_address varchar,
    extra_fields varchar[],
    source_file varchar,
    source_line bigint
);

-- table: rejects
-- grain: one row per input line or record that could not be loaded
create table if not exists rejects (
    source_file varchar,
    source_line bigint,                -- NULL when the problem is the whole object
    kind varchar,
    reason varchar,
    raw varchar                        -- the line, or the record's text
);

-- table: ingested_files
-- grain: one row per input object loaded by each ingest command; the ledgers that make re-runs load
-- nothing twice (`ingest logs` reads the rows of the log kinds, `ingest cloudtrail` those of kind
-- 'cloudtrail', `ingest changes` those of kind 'changes', so one command's rows never block another)
create table if not exists ingested_files (
    source_file varchar,
    kind varchar,                      -- alb, clb, nlb, connection, health_check, unknown; cloudtrail; changes
    fingerprint varchar,               -- size:mtime for a file, the ETag for an S3 object
    filter varchar,                    -- the --since/--until/--lb the rows were kept by, '' for none
    size_bytes bigint,
    lines bigint,
    rows bigint,
    rejected bigint,
    filtered bigint,                   -- rows outside --since/--until/--lb
    invalid_utf8_lines bigint,         -- lines loaded with bytes replaced by U+FFFD
    lb varchar,                        -- from the AWS object name, where it has one
    lb_id varchar,
    node_ip varchar,
    interval_end timestamp,
    loaded_at timestamp,
    duplicates bigint,                 -- CloudTrail: records whose event was already loaded
    primary key (source_file, kind)
);

-- table: api_calls
-- grain: one row per CloudTrail event kept (ELB events of both APIs and related-service changes)
create table if not exists api_calls (
    event_id varchar primary key,
    event_time timestamp,
    event_source varchar,
    event_name varchar,
    api_version varchar,
    aws_region varchar,
    account_id varchar,
    actor varchar,                     -- principal ARN or name
    actor_kind varchar,                -- console, cli, sdk, terraform, cloudformation, cdk, aws-service, unknown
    source_ip varchar,
    user_agent varchar,
    read_only boolean,
    error_code varchar,
    error_message varchar,
    request_parameters json,
    response_elements json,
    source_file varchar,               -- where the event was first seen (lookup-events:REGION for --lookup)
    source_line bigint,                -- JSON lines: the line; one-document files: the record's position
    actor_name varchar,                -- short name: IAM user, role session, or AWS service
    event_type varchar,                -- AwsApiCall, AwsServiceEvent, AwsConsoleAction, ...
    event_version varchar,
    is_addendum boolean,               -- a re-delivered copy (CloudTrail addendum); it replaced the earlier one
    request_truncated boolean,         -- CloudTrail cut requestParameters (over 100 KB)
    record json                        -- the whole CloudTrail record
);

-- table: change_events
-- grain: one row per change event of another system (a deploy, a flag, ...) loaded by `correlate
-- ingest changes` (unique `event_id`); the change model places each on the load balancers its scope
-- hints name, as `changes` rows of origin 'feed'
create table if not exists change_events (
    event_id varchar primary key,      -- the record's id, else a hash of the record
    event_time timestamp,              -- the record's `time`
    end_time timestamp,                -- the end of a rollout, when given
    kind varchar,                      -- deploy, config, feature-flag, scaling, infra, other
    summary varchar,
    actor varchar,
    source varchar,                    -- the system: github, argocd, spinnaker, launchdarkly, ...
    lbs varchar[],                     -- scope hints, as given: load balancers,
    target_groups varchar[],           -- target groups (names or ARNs),
    targets varchar[],                 -- targets (ip:port),
    services varchar[],                -- services (ECS service names, or CLUSTER/SERVICE),
    listener_port integer,             -- and a listener port
    url varchar,                       -- back to the system
    details json,                      -- the record's other fields (and a kind correlate does not know)
    source_file varchar,               -- where the event was last loaded from (stdin for -)
    source_line bigint                 -- the line (JSON lines, CSV) or the position in a JSON array
);

-- table: changes
-- grain: one row per (configuration-changing API call or feed event, load balancer it affects)
-- The columns are the fields of `Change` (correlate/model/change.py), in the same order. Derived
-- data: rebuilt whole from api_calls and change_events.
create table if not exists changes (
    event_id varchar,
    event_time timestamp,
    event_name varchar,
    lb varchar,                        -- the load balancer's name
    actor varchar,
    actor_kind varchar,
    error_code varchar,                -- set when the call failed: the change was not applied
    summary varchar,                   -- one human line: what changed
    event_source varchar,
    api_version varchar,
    aws_region varchar,
    account_id varchar,
    lb_id varchar,                     -- app/NAME/ID, net/NAME/ID, or the Classic ELB name, where known
    category varchar,                  -- targets, routing, listener_tls, health_check, lb_attributes,
                                       -- target_group_attributes, security, certificate, waf, tags,
                                       -- lifecycle, deploy, config, feature_flag, scaling, infra, other
    listener_port integer,             -- when the change concerns one listener
    target_group varchar,              -- target group name, when the change concerns one
    target_group_arn varchar,
    targets varchar[],                 -- target ids (instance ids, IPs, Lambda ARNs) it adds or removes
    details json,                      -- structured before/after where known
    actor_name varchar,                -- short name: IAM user, role session, or AWS service
    applied boolean,                   -- false when the call failed (error_code set)
    error_message varchar,
    attributed_by varchar,             -- how lb was found: request, arn, cloudtrail, inventory, access_logs, cloudwatch
    categories varchar[],              -- every category the change falls in, `category` first
    target_groups varchar[],           -- names of the target groups it concerns (forwards to, changes)
    classic boolean,                   -- a change of a Classic Load Balancer
    reverts varchar,                   -- event_id of the earlier change this one undoes (same resource,
                                       -- previous values), else NULL
    origin varchar,                    -- cloudtrail (an API call) or feed (correlate ingest changes)
    url varchar,                       -- a feed event's link back to the system that made the change
    end_time timestamp                 -- a feed event's end of rollout, when it gave one
);

-- table: inventory
-- grain: one row per resource described by `correlate ingest inventory` (the latest snapshot per
-- account and region); `data` is the Describe* response item as JSON
create table if not exists inventory (
    taken_at timestamp,
    account_id varchar,
    aws_region varchar,
    resource_type varchar,             -- load_balancer, listener, rule, target_group, classic_load_balancer,
                                       -- classic_policy, network_acl, web_acl_association
    arn varchar,                       -- the resource's ARN, or the Classic ELB / policy name
    lb varchar,                        -- the load balancer it belongs to, where it belongs to one
    data json
);

-- Databases written before these columns existed get them on the next write (any ingest).
alter table ingested_files add column if not exists duplicates bigint;
alter table api_calls add column if not exists source_line bigint;
alter table api_calls add column if not exists actor_name varchar;
alter table api_calls add column if not exists event_type varchar;
alter table api_calls add column if not exists event_version varchar;
alter table api_calls add column if not exists is_addendum boolean;
alter table api_calls add column if not exists request_truncated boolean;
alter table api_calls add column if not exists record json;
alter table changes add column if not exists actor_name varchar;
alter table changes add column if not exists applied boolean;
alter table changes add column if not exists error_message varchar;
alter table changes add column if not exists attributed_by varchar;
alter table changes add column if not exists categories varchar[];
alter table changes add column if not exists target_groups varchar[];
alter table changes add column if not exists classic boolean;
alter table changes add column if not exists origin varchar;
alter table changes add column if not exists url varchar;
alter table changes add column if not exists end_time timestamp;
