-- query: error_span
-- shows: the first and the last 5xx response of the incident
-- params: lb, search_from, search_to
-- columns: errors, first_error_at, first_error_status, last_error_at, last_error_status
-- Searched in [search_from, search_to): from the most suspect change when it came within five
-- minutes of the onset (a shift starts at a bucket boundary, before or after the change inside that
-- bucket), else from the onset; up to the recovery, or the end of the window.
with errors as (
    select
        arrived_at as error_at,
        elb_status_code
    from request_facts
    where lb = $lb
        and elb_status_code between 500 and 599
        and arrived_at >= $search_from
        and arrived_at < $search_to
)
select
    count(*) as errors,
    min(error_at) as first_error_at,
    arg_min(elb_status_code, error_at) as first_error_status,
    max(error_at) as last_error_at,
    arg_max(elb_status_code, error_at) as last_error_status
from errors;
