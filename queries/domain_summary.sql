-- domain_summary: the headline numbers of each domain's backlink profile.
--
-- Grain: one row per target domain with at least one backlink.
-- Key: target_domain
-- Columns:
--   target_domain        varchar      registered domain linked to (links.dst_domain)
--   backlinks            bigint       backlink records (every occurrence on every fetched page)
--   dofollow_backlinks   bigint       backlinks without nofollow (neither rel nor page-level)
--   nofollow_backlinks   bigint       backlinks with nofollow (rel or page-level robots)
--   ugc_backlinks        bigint       backlinks with rel=ugc (may also be nofollow)
--   sponsored_backlinks  bigint       backlinks with rel=sponsored (may also be nofollow)
--   dofollow_share       double       dofollow_backlinks / backlinks, 0..1
--   referring_domains    bigint       distinct src_domain
--   referring_pages      bigint       distinct src_url
--   linked_pages         bigint       distinct dst_url
--   first_seen           timestamptz  earliest fetched_at of a linking page (UTC)
--   last_seen            timestamptz  latest fetched_at of a linking page (UTC)
--
-- Backlinks only (internal = false), of any kind.

with

backlinks as (

    select
        dst_domain as target_domain,
        dst_url,
        src_url,
        src_domain,
        nofollow,
        ugc,
        sponsored,
        fetched_at
    from links
    where not internal

),

per_domain as (

    select
        target_domain,
        count(*) as backlinks,
        count(*) filter (where not nofollow) as dofollow_backlinks,
        count(*) filter (where nofollow) as nofollow_backlinks,
        count(*) filter (where ugc) as ugc_backlinks,
        count(*) filter (where sponsored) as sponsored_backlinks,
        count(distinct src_domain) as referring_domains,
        count(distinct src_url) as referring_pages,
        count(distinct dst_url) as linked_pages,
        min(fetched_at) as first_seen,
        max(fetched_at) as last_seen
    from backlinks
    group by target_domain

),

final as (

    select
        target_domain,
        backlinks,
        dofollow_backlinks,
        nofollow_backlinks,
        ugc_backlinks,
        sponsored_backlinks,
        dofollow_backlinks::double / backlinks as dofollow_share,
        referring_domains,
        referring_pages,
        linked_pages,
        first_seen,
        last_seen
    from per_domain
    order by target_domain

)

select * from final
