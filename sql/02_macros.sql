-- macros: client_network
-- SQL macros the views and report queries share. They are created with the tables and kept in the
-- database file, so any DuckDB client that opens it can run the views that use them.

-- client_network(ip): the address's /24 for IPv4, its /48 for IPv6 (the first three groups, zeros
-- where a "::" cuts them short); NULL for NULL
create or replace macro client_network(ip) as
    case
        when ip is null then null
        when strpos(ip, ':') = 0 then nullif(regexp_extract(ip, '^([0-9]+\.[0-9]+\.[0-9]+)\.', 1), '') || '.0/24'
        else array_to_string(
            list_concat(
                list_transform(
                    string_split(split_part(lower(ip), '::', 1), ':'),
                    lambda g: coalesce(nullif(g, ''), '0')
                ),
                ['0', '0', '0']
            )[1:3],
            ':'
        ) || '::/48'
    end;
