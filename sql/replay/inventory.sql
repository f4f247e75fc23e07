-- replay: inventory
-- reads: inventory
-- The inventory snapshot rows the change model starts from.

select
    taken_at,
    resource_type,
    arn,
    lb,
    data::varchar as data
from inventory
order by taken_at, resource_type, arn;
