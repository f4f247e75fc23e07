-- load: ledger
-- reads: one object's counts as parameters
-- writes: ingested_files
-- The ledger row commits with the object's rows; a re-run skips objects whose fingerprint and
-- filter match.

insert into ingested_files by name
select
    $source_file as source_file,
    $kind as kind,
    $fingerprint as fingerprint,
    $filter as filter,
    $size_bytes as size_bytes,
    $lines as lines,
    $rows as rows,
    $rejected as rejected,
    $filtered as filtered,
    $invalid_utf8_lines as invalid_utf8_lines,
    $lb as lb,
    $lb_id as lb_id,
    $node_ip as node_ip,
    $interval_end::timestamp as interval_end,
    $duplicates as duplicates,
    now() at time zone 'UTC' as loaded_at;
