-- load: changes
-- reads: new_changes (the change model's output, as an Arrow table)
-- writes: changes
-- changes is derived data: every rebuild replaces it whole.

delete from changes;

insert into changes by name
select * from new_changes;
