SELECT
  lb,
  minute,
  listener_port,
  domain_name,
  ssl_protocol,
  ssl_cipher,
  matched_rule_priority,
  COUNT(*) AS requests,
  COUNT(*) FILTER(WHERE
    is_elb_5xx) AS elb_5xx,
  COUNT(*) FILTER(WHERE
    is_target_5xx) AS target_5xx,
  COUNT(*) FILTER(WHERE
    is_4xx) AS status_4xx,
  COUNT(*) FILTER(WHERE
    is_error) AS errors
FROM request_facts
GROUP BY
  lb,
  minute,
  listener_port,
  domain_name,
  ssl_protocol,
  ssl_cipher,
  matched_rule_priority
