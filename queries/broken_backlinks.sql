-- broken_backlinks: backlinks to pages that answer with an error, so their owner can redirect the URL and reclaim the link.
--
-- Grain: one row per backlink (dst_url, src_url, anchor_text, kind) of the current link graph whose target is broken.
-- Key: dst_url, src_url, anchor_text, kind
-- Columns:
--   dst_url                     varchar      URL linked to
--   src_url                     varchar      page the link is on
--   anchor_text                 varchar      link text ('' for canonical and redirect records)
--   kind                        varchar      anchor, image, area, canonical or redirect
--   target_domain               varchar      registered domain of dst_url
--   referring_domain            varchar      registered domain of src_url
--   nofollow                    boolean      every occurrence nofollow (rel or page-level)
--   dst_status                  smallint     status of the latest fetch of dst_url
--   broken_url                  varchar      the URL that answered the error: dst_url, or the end of its redirects
--   broken_status               smallint     the error status, 400-599
--   redirects                   integer      redirects followed from dst_url to broken_url (0: dst_url itself)
--   referring_domain_authority  double       domain_authority.authority of the referring domain
--   seen_at                     timestamptz  fetched_at of the latest fetch of src_url (UTC)
--
-- A target is broken when the latest fetch of dst_url (page_status)
-- answered 4xx or 5xx, or redirected, through at most 10 redirects each
-- fetched, to a URL whose latest fetch did. A URL never fetched, a redirect
-- to one, a fetch without an answer (dns, timeout) and a redirect loop are
-- unknown, not broken. Over current_backlinks.

with recursive

-- one row per backlink (current_backlinks has one per page region)
backlinks as (

    select
        dst_url,
        src_url,
        anchor_text,
        kind,
        any_value(dst_domain) as target_domain,
        any_value(src_domain) as referring_domain,
        sum(nofollow_occurrences) = sum(occurrences) as nofollow,
        any_value(fetched_at) as seen_at
    from current_backlinks
    group by dst_url, src_url, anchor_text, kind

),

statuses as (

    select
        url,
        status,
        final_url
    from page_status

),

-- from each linked URL, follow its redirects
chain as (

    select
        statuses.url as start_url,
        statuses.url,
        statuses.status,
        statuses.final_url,
        0 as redirects
    from statuses
    semi join backlinks
        on backlinks.dst_url = statuses.url

    union all

    select
        chain.start_url,
        statuses.url,
        statuses.status,
        statuses.final_url,
        chain.redirects + 1 as redirects
    from chain
    join statuses
        on statuses.url = chain.final_url
    where chain.status between 300 and 399
        and chain.final_url <> chain.url
        and chain.redirects < 10

),

broken_targets as (

    select
        start_url,
        url as broken_url,
        status as broken_status,
        redirects
    from chain
    where status between 400 and 599

),

final as (

    select
        backlinks.dst_url,
        backlinks.src_url,
        backlinks.anchor_text,
        backlinks.kind,
        backlinks.target_domain,
        backlinks.referring_domain,
        backlinks.nofollow,
        statuses.status as dst_status,
        broken_targets.broken_url,
        broken_targets.broken_status,
        broken_targets.redirects,
        domain_authority.authority as referring_domain_authority,
        backlinks.seen_at
    from backlinks
    join broken_targets
        on broken_targets.start_url = backlinks.dst_url
    join statuses
        on statuses.url = backlinks.dst_url
    left join domain_authority
        on domain_authority.domain = backlinks.referring_domain

)

select * from final
