-- inbound_links: every distinct backlink, with how often and when it was seen.
--
-- Grain: one row per (dst_url, src_url, anchor_text, kind) among backlinks.
-- Key: dst_url, src_url, anchor_text, kind
-- Columns:
--   dst_url        varchar      URL linked to
--   src_url        varchar      page the link is on
--   anchor_text    varchar      link text ('' for canonical and redirect records)
--   kind           varchar      anchor, image, area, canonical or redirect
--   dst_domain     varchar      registered domain of dst_url
--   src_domain     varchar      registered domain of src_url
--   nofollow       boolean      true only if every occurrence is nofollow (rel or page-level)
--   ugc            boolean      true if any occurrence has rel=ugc
--   sponsored      boolean      true if any occurrence has rel=sponsored
--   page_nofollow  boolean      true only if every occurrence is on a page with robots nofollow
--   placement      varchar      page region of the first occurrence; null for canonical and redirect
--   position       integer      position of the first occurrence among its page's links (0-based)
--   occurrences    bigint       link records: every occurrence on every fetched page
--   first_seen     timestamptz  earliest fetched_at of src_url with this link (UTC)
--   last_seen      timestamptz  latest fetched_at of src_url with this link (UTC)
--   dst_status     smallint     HTTP status of the latest fetch of dst_url; null when never fetched
--   disavowed      boolean      the disavow file imported for dst_domain disavows src_url
--
-- Backlinks only (internal = false), merged over crawls from fct_backlinks.
-- The first occurrence is the earliest by (fetched_at, crawl_id, position).
-- A backlink is disavowed when the file imported for its target
-- (disavow_entries) has a domain: entry for the host of src_url or a domain
-- above it, or src_url itself.

with

backlinks as (

    select
        dst_url,
        src_url,
        anchor_text,
        kind,
        dst_domain,
        src_domain,
        occurrences,
        nofollow_occurrences,
        ugc_occurrences,
        sponsored_occurrences,
        page_nofollow,
        placement,
        position,
        crawl_id,
        fetched_at
    from fct_backlinks

),

page_status as (

    select
        url,
        status
    from page_status

),

grouped as (

    select
        dst_url,
        src_url,
        anchor_text,
        kind,
        -- the domains are functions of the URLs, so any value is the value
        any_value(dst_domain) as dst_domain,
        any_value(src_domain) as src_domain,
        sum(nofollow_occurrences) = sum(occurrences) as nofollow,
        sum(ugc_occurrences) > 0 as ugc,
        sum(sponsored_occurrences) > 0 as sponsored,
        bool_and(page_nofollow) as page_nofollow,
        -- the first occurrence: the earliest by (fetched_at, crawl_id, position)
        arg_min(
            {'placement': placement, 'position': position},
            {'fetched_at': fetched_at, 'crawl_id': crawl_id, 'position': position}
        ) as first_occurrence,
        sum(occurrences)::bigint as occurrences,
        min(fetched_at) as first_seen,
        max(fetched_at) as last_seen
    from backlinks
    group by dst_url, src_url, anchor_text, kind

),

-- a backlink's disavowal depends on its target domain (a function of dst_url) and its source page only, so the
-- backlinks disavowed are found among the facts' (dst_url, src_url) pairs: grouped is then read once, as it is made
disavowed as (

    select distinct
        fct_backlinks.dst_url,
        fct_backlinks.src_url
    from fct_backlinks
    join disavow_entries
        on disavow_entries.target_domain = fct_backlinks.dst_domain
        and disavow_entries.entry_domain = fct_backlinks.src_domain
    where (
            disavow_entries.entry_kind = 'domain'
            and (fct_backlinks.src_host = disavow_entries.entry or ends_with(fct_backlinks.src_host, '.' || disavow_entries.entry))
        )
        or (disavow_entries.entry_kind = 'url' and fct_backlinks.src_url = disavow_entries.entry)

),

final as (

    select
        grouped.dst_url,
        grouped.src_url,
        grouped.anchor_text,
        grouped.kind,
        grouped.dst_domain,
        grouped.src_domain,
        grouped.nofollow,
        grouped.ugc,
        grouped.sponsored,
        grouped.page_nofollow,
        nullif(grouped.first_occurrence.placement, '(none)') as placement,
        grouped.first_occurrence.position as position,
        grouped.occurrences,
        grouped.first_seen,
        grouped.last_seen,
        page_status.status as dst_status,
        disavowed.dst_url is not null as disavowed
    from grouped
    left join page_status
        on page_status.url = grouped.dst_url
    left join disavowed
        on disavowed.dst_url = grouped.dst_url
        and disavowed.src_url = grouped.src_url
    -- stored in source page order: a page's backlinks then sit together and share their src_url, src_domain,
    -- first_seen and last_seen, which compress to a run each (the largest table of the index, a quarter smaller)
    order by grouped.src_url

)

select * from final
