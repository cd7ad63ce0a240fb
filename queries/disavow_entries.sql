-- disavow_entries: what the imported disavow files disavow (linkindex disavow import).
--
-- Grain: one row per distinct entry of the disavow file imported for a target domain.
-- Key: target_domain, entry_kind, entry
-- Columns:
--   target_domain  varchar  the domain the file is for (DIR/disavow/<target_domain>.txt)
--   entry_kind     varchar  domain (every link from the host and its subdomains) or url (the links of one page)
--   entry          varchar  the host (lowercase punycode) or the page URL (WHATWG-serialized, no fragment)
--   entry_domain   varchar  the entry's registered domain
--   line           integer  the line of its first occurrence in the file
--
-- The build reads the files (linkindex/disavow.py load_entries, into
-- _disavow_lines); lines that are not valid are skipped as at import.
-- inbound_links.disavowed and referring_domains.disavowed apply them.

with

lines as (

    select
        target_domain,
        entry_kind,
        entry,
        entry_domain,
        line
    from _disavow_lines

),

final as (

    select
        target_domain,
        entry_kind,
        entry,
        any_value(entry_domain) as entry_domain,
        min(line) as line
    from lines
    group by target_domain, entry_kind, entry

)

select * from final
