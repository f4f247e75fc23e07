-- query: error_span
-- shows: the first and the last 5xx response of the incident
-- params: lb, since, onset, recovery, until
-- columns: errors, first_error_at, first_error_status, last_error_at, last_error_status
-- Searched from one minute before the onset (shifts are found per minute) to one minute after the
-- recovery, inside the window.
with errors as (
    select
        coalesce(request_at, time) as error_at,
        elb_status_code
    from requests
    where lb = $lb
        and elb_status_code between 500 and 599
        and coalesce(request_at, time) >= greatest($since::timestamp, $onset::timestamp - interval 1 minute)
        and coalesce(request_at, time) < least($until::timestamp, $recovery::timestamp + interval 1 minute)
)
select
    count(*) as errors,
    min(error_at) as first_error_at,
    arg_min(elb_status_code, error_at) as first_error_status,
    max(error_at) as last_error_at,
    arg_max(elb_status_code, error_at) as last_error_status
from errors;
