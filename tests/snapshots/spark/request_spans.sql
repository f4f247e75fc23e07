SELECT
  lb,
  MIN(arrived_at) AS first_at,
  MAX(arrived_at) AS last_at,
  COUNT(*) AS requests
FROM request_facts
GROUP BY
  lb,
  CAST(arrived_at AS DATE)
