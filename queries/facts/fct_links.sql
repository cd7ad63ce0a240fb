-- fct_links: every distinct link of every fetch that counts, one crawl at a time.
--
-- Grain: one row per (crawl_id, src_url, dst_url, anchor_text, kind).
-- Key: crawl_id, src_url, dst_url, anchor_text, kind
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
--   internal               boolean      src_domain = dst_domain
--   page_nofollow          boolean      the page is robots nofollow
--   occurrences            integer      link records on the page: how often the link appears
--   nofollow_occurrences   integer      of those, nofollow (rel or page-level)
--   ugc_occurrences        integer      of those, rel ugc
--   sponsored_occurrences  integer      of those, rel sponsored
--   placement              varchar      page region of the first occurrence; null for canonical and redirect
--   position               integer      position of the first occurrence among the page's links (0-based)
--   in_main                integer      occurrences in main content
--   in_nav                 integer      occurrences in nav
--   in_header              integer      occurrences in the page header
--   in_footer              integer      occurrences in the page footer
--   in_aside               integer      occurrences in aside
--   in_comment             integer      occurrences in comments
--   in_body                integer      occurrences elsewhere in the body
--
-- The pre-aggregate every table is derived from. Computed once per crawl
-- from that crawl's stg_links, one part file at a time (a page's links are
-- always in one part, so no group spans parts), and kept as Parquet under
-- DIR/facts/crawl_id=<id>/fct_links/; recomputed only when the crawl's
-- record files change. The in_* counts add up to occurrences, except for
-- canonical and redirect records, which have no placement (all zero).

with

links as (

    select * from stg_links

),

final as (

    select
        crawl_id,
        -- one fetch per (crawl_id, src_url): any value is the value
        any_value(fetched_at) as fetched_at,
        src_url,
        any_value(src_host) as src_host,
        any_value(src_domain) as src_domain,
        dst_url,
        any_value(dst_host) as dst_host,
        any_value(dst_domain) as dst_domain,
        anchor_text,
        kind,
        any_value(internal) as internal,
        any_value(page_nofollow) as page_nofollow,
        count(*)::integer as occurrences,
        count(*) filter (where nofollow)::integer as nofollow_occurrences,
        count(*) filter (where ugc)::integer as ugc_occurrences,
        count(*) filter (where sponsored)::integer as sponsored_occurrences,
        -- structs compare field by field: the minimum is the first occurrence
        min({'position': position, 'placement': placement}).placement as placement,
        min(position) as position,
        count(*) filter (where placement = 'main')::integer as in_main,
        count(*) filter (where placement = 'nav')::integer as in_nav,
        count(*) filter (where placement = 'header')::integer as in_header,
        count(*) filter (where placement = 'footer')::integer as in_footer,
        count(*) filter (where placement = 'aside')::integer as in_aside,
        count(*) filter (where placement = 'comment')::integer as in_comment,
        count(*) filter (where placement = 'body')::integer as in_body
    from links
    group by crawl_id, src_url, dst_url, anchor_text, kind

)

select * from final
