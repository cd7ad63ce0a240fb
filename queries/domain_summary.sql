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
-- Backlinks only (internal = false), of any kind. The distinct counts come
-- from the tables that have one row per referring domain (referring_domains)
-- and per linked page (target_pages); referring pages are counted here.

with

backlinks as (

    select
        dst_domain as target_domain,
        src_url,
        occurrences,
        nofollow_occurrences,
        ugc_occurrences,
        sponsored_occurrences
    from fct_backlinks

),

-- one row per linking page: referring_pages is then a count of rows
per_linking_page as (

    select
        target_domain,
        src_url,
        sum(occurrences) as backlinks,
        sum(occurrences - nofollow_occurrences) as dofollow_backlinks,
        sum(ugc_occurrences) as ugc_backlinks,
        sum(sponsored_occurrences) as sponsored_backlinks
    from backlinks
    group by target_domain, src_url

),

per_domain as (

    select
        target_domain,
        sum(backlinks)::bigint as backlinks,
        sum(dofollow_backlinks)::bigint as dofollow_backlinks,
        sum(ugc_backlinks)::bigint as ugc_backlinks,
        sum(sponsored_backlinks)::bigint as sponsored_backlinks,
        count(*) as referring_pages
    from per_linking_page
    group by target_domain

),

referring as (

    select
        target_domain,
        count(*) as referring_domains,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from referring_domains
    group by target_domain

),

linked as (

    select
        target_domain,
        count(*) as linked_pages
    from target_pages
    group by target_domain

),

final as (

    select
        per_domain.target_domain,
        per_domain.backlinks,
        per_domain.dofollow_backlinks,
        per_domain.backlinks - per_domain.dofollow_backlinks as nofollow_backlinks,
        per_domain.ugc_backlinks,
        per_domain.sponsored_backlinks,
        per_domain.dofollow_backlinks::double / per_domain.backlinks as dofollow_share,
        referring.referring_domains,
        per_domain.referring_pages,
        linked.linked_pages,
        referring.first_seen,
        referring.last_seen
    from per_domain
    join referring
        on referring.target_domain = per_domain.target_domain
    join linked
        on linked.target_domain = per_domain.target_domain
    order by per_domain.target_domain

)

select * from final
