WITH base AS (
  SELECT
    lb,
    lb_type,
    lb_id,
    COALESCE(request_at, time) AS arrived_at,
    time AS logged_at,
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
    NOT target_ip IS NULL OR NOT target_group_arn IS NULL AS has_target,
    COALESCE(
      NOT elb_status_code IS NULL
      AND (
        target_status_code IS NULL OR target_status_code <> elb_status_code
      ),
      FALSE
    ) AS is_lb_generated,
    (
      request_processing_time IS NULL
      OR target_processing_time IS NULL
      OR response_processing_time IS NULL
    ) AS has_missing_timing,
    actions_executed,
    matched_rule_priority,
    source_file
  FROM requests
), judged AS (
  SELECT
    *,
    is_lb_generated AND elb_status_code BETWEEN 500 AND 599 AS is_elb_5xx,
    COALESCE(target_status_code BETWEEN 500 AND 599, FALSE) AS is_target_5xx,
    has_missing_timing
    AND NOT (
      is_lb_generated AND elb_status_code < 400
    )
    AND NOT COALESCE(
      actions_executed LIKE '%redirect%' OR actions_executed LIKE '%fixed-response%',
      FALSE
    ) AS is_incomplete
  FROM base
)
SELECT
  lb,
  lb_type,
  lb_id,
  arrived_at,
  logged_at,
  CAST(DATE_TRUNC('MINUTE', arrived_at) AS TIMESTAMP_NTZ) AS minute,
  TRY_CAST(NULLIF(REGEXP_EXTRACT(url, ':([0-9]+)/'), '') AS INT) AS listener_port,
  domain_name,
  target_group_arn,
  NULLIF(REGEXP_EXTRACT(target_group_arn, 'targetgroup/([^/]+)'), '') AS target_group,
  target_ip,
  target_port,
  target_ip || COALESCE(':' || target_port, '') AS target,
  ssl_protocol,
  ssl_cipher,
  elb_status_code,
  target_status_code,
  CAST((
    elb_status_code DIV 100
  ) AS STRING) || 'xx' AS status_class,
  is_lb_generated,
  is_elb_5xx,
  is_target_5xx,
  COALESCE(elb_status_code BETWEEN 400 AND 499, FALSE) AS is_4xx,
  is_incomplete,
  is_elb_5xx OR is_target_5xx OR is_incomplete AS is_error,
  CASE WHEN has_target THEN ROUND(target_processing_time * 1000, 3) END AS target_ms,
  CASE
    WHEN NOT has_target
    THEN NULL
    WHEN target_processing_time < 0.016
    THEN CAST(FLOOR(target_processing_time * 1000 + 1e-6) AS INT)
    ELSE 16 + CAST(FLOOR(LN(target_processing_time * 62.5) * 20) AS INT)
  END AS latency_bin,
  matched_rule_priority,
  source_file
FROM judged
