-- target_pages: the pages of each domain that other domains link to.
--
-- Grain: one row per (target_domain, dst_url) with at least one backlink.
-- Key: target_domain, dst_url
-- Columns:
--   target_domain       varchar      registered domain of dst_url
--   dst_url             varchar      URL linked to
--   backlinks           bigint       backlink records to dst_url (every occurrence)
--   dofollow_backlinks  bigint       of those, without nofollow (neither rel nor page-level)
--   referring_domains   bigint       distinct src_domain linking to dst_url
--   referring_pages     bigint       distinct src_url linking to dst_url
--   first_seen          timestamptz  earliest fetched_at of a linking page (UTC)
--   last_seen           timestamptz  latest fetched_at of a linking page (UTC)
--   dst_status          smallint     HTTP status of the latest fetch of dst_url; null when never fetched
--
-- Backlinks only (internal = false), of any kind.

with

backlinks as (

    select
        dst_domain as target_domain,
        dst_url,
        src_url,
        src_domain,
        occurrences,
        nofollow_occurrences,
        fetched_at
    from fct_backlinks

),

page_status as (

    select
        url,
        status
    from page_status

),

-- one row per linking page first: referring_pages is then a count of rows
per_linking_page as (

    select
        target_domain,
        dst_url,
        src_url,
        any_value(src_domain) as src_domain,
        sum(occurrences) as backlinks,
        sum(occurrences - nofollow_occurrences) as dofollow_backlinks,
        min(fetched_at) as first_seen,
        max(fetched_at) as last_seen
    from backlinks
    group by target_domain, dst_url, src_url

),

-- one row per referring domain of a page: referring_domains is then a count of rows, not a count(distinct)
per_referring_domain as (

    select
        target_domain,
        dst_url,
        src_domain,
        sum(backlinks) as backlinks,
        sum(dofollow_backlinks) as dofollow_backlinks,
        count(*) as referring_pages,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from per_linking_page
    group by target_domain, dst_url, src_domain

),

per_page as (

    select
        target_domain,
        dst_url,
        sum(backlinks)::bigint as backlinks,
        sum(dofollow_backlinks)::bigint as dofollow_backlinks,
        count(*) as referring_domains,
        sum(referring_pages)::bigint as referring_pages,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from per_referring_domain
    group by target_domain, dst_url

),

final as (

    select
        per_page.target_domain,
        per_page.dst_url,
        per_page.backlinks,
        per_page.dofollow_backlinks,
        per_page.referring_domains,
        per_page.referring_pages,
        per_page.first_seen,
        per_page.last_seen,
        page_status.status as dst_status
    from per_page
    left join page_status
        on page_status.url = per_page.dst_url

)

select * from final
