-- fct_backlinks: every distinct backlink of every fetch that counts, by page region, one crawl at a time.
--
-- Grain: one row per (crawl_id, src_url, dst_url, anchor_text, kind, placement) among backlinks.
-- Key: crawl_id, src_url, dst_url, anchor_text, kind, placement
-- Columns:
--   crawl_id               varchar      crawl of the fetch
--   fetched_at             timestamptz  when src_url was fetched (UTC): one fetch counts per page and crawl
--   src_url                varchar      page the link is on
--   src_host               varchar      its host
--   src_domain             varchar      its registered domain
--   dst_url                varchar      URL linked to
--   dst_host               varchar      its host
--   dst_domain             varchar      its registered domain
--   anchor_text            varchar      link text ('' for canonical and redirect records)
--   kind                   varchar      anchor, image, area, canonical or redirect
--   page_nofollow          boolean      the page is robots nofollow
--   placement              varchar      page region; '(none)' for canonical and redirect records, which have none
--   occurrences            integer      link records in that region of the page: how often the link appears there
--   nofollow_occurrences   integer      of those, nofollow (rel or page-level)
--   ugc_occurrences        integer      of those, rel ugc
--   sponsored_occurrences  integer      of those, rel sponsored
--   position               integer      position of the first of them among the page's links (0-based)
--
-- The pre-aggregate the backlink tables are derived from: backlinks only
-- (internal = false); internal links go to fct_internal_links, in less
-- detail. A link (src_url, dst_url, anchor_text, kind) repeated in several
-- regions of a page has a row per region, so counts by region stay exact;
-- group by the link to count each link once. Computed once per crawl from that crawl's stg_links, one part file
-- at a time (a page's links are always in one part, so no group spans
-- parts), and kept as Parquet under DIR/facts/crawl_id=<id>/fct_backlinks/;
-- recomputed only when the crawl's record files change.

with

backlinks as (

    select * from stg_links
    where not internal

),

final as (

    select
        crawl_id,
        -- one fetch per (crawl_id, src_url): its time, host and domain are the page's
        fetched_at,
        src_url,
        src_host,
        src_domain,
        dst_url,
        -- functions of dst_url
        dst_host,
        dst_domain,
        anchor_text,
        kind,
        page_nofollow,
        coalesce(placement, '(none)') as placement,
        count(*)::integer as occurrences,
        count(*) filter (where nofollow)::integer as nofollow_occurrences,
        count(*) filter (where ugc)::integer as ugc_occurrences,
        count(*) filter (where sponsored)::integer as sponsored_occurrences,
        min(position) as position
    from backlinks
    group by
        crawl_id, fetched_at, src_url, src_host, src_domain, dst_url, dst_host, dst_domain, anchor_text, kind,
        page_nofollow, coalesce(placement, '(none)')

)

select * from final
