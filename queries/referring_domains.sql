-- referring_domains: which domains link to each domain, and how much.
--
-- Grain: one row per (target_domain, referring_domain) with at least one backlink.
-- Key: target_domain, referring_domain
-- Columns:
--   target_domain       varchar      registered domain linked to (links.dst_domain)
--   referring_domain    varchar      registered domain of the linking pages (links.src_domain)
--   backlinks           bigint       backlink records (every occurrence on every fetched page)
--   dofollow_backlinks  bigint       backlinks without nofollow (neither rel nor page-level)
--   linked_pages        bigint       distinct target URLs linked to (dst_url)
--   first_seen          timestamptz  earliest fetched_at of a linking page (UTC)
--   last_seen           timestamptz  latest fetched_at of a linking page (UTC)
--   disavowed           boolean      every backlink from it is disavowed (inbound_links.disavowed)
--
-- A backlink is a link record with internal = false, of any kind (anchor,
-- image, area, canonical, redirect). A referring domain is disavowed when
-- the disavow file imported for the target disavows every page of it that
-- links there: a domain: entry for it, or every one of those pages.

with

backlinks as (

    select
        dst_domain as target_domain,
        src_domain as referring_domain,
        dst_url,
        occurrences,
        nofollow_occurrences,
        fetched_at
    from fct_backlinks

),

-- one row per target page first: linked_pages is then a count of rows
per_target_page as (

    select
        target_domain,
        referring_domain,
        dst_url,
        sum(occurrences) as backlinks,
        sum(occurrences - nofollow_occurrences) as dofollow_backlinks,
        min(fetched_at) as first_seen,
        max(fetched_at) as last_seen
    from backlinks
    group by target_domain, referring_domain, dst_url

),

per_domain as (

    select
        target_domain,
        referring_domain,
        sum(backlinks)::bigint as backlinks,
        sum(dofollow_backlinks)::bigint as dofollow_backlinks,
        count(*) as linked_pages,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from per_target_page
    group by target_domain, referring_domain

),

disavowed as (

    select
        dst_domain as target_domain,
        src_domain as referring_domain,
        bool_and(disavowed) as disavowed
    from inbound_links
    group by dst_domain, src_domain

),

final as (

    select
        per_domain.*,
        disavowed.disavowed
    from per_domain
    join disavowed
        on disavowed.target_domain = per_domain.target_domain
        and disavowed.referring_domain = per_domain.referring_domain

)

select * from final
