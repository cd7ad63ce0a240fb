-- current_backlinks: every backlink as the web stands: the backlinks of the latest fetch of every page.
--
-- Materialized: view
-- Grain: one row per (src_url, dst_url, anchor_text, kind, placement) among backlinks on the latest fetch of src_url.
-- Key: src_url, dst_url, anchor_text, kind, placement
-- Columns:
--   crawl_id               varchar      crawl of the latest fetch of src_url
--   fetched_at             timestamptz  when src_url was fetched (UTC)
--   src_url                varchar      page the link is on
--   src_host               varchar      its host
--   src_domain             varchar      its registered domain
--   dst_url                varchar      URL linked to
--   dst_host               varchar      its host
--   dst_domain             varchar      its registered domain
--   anchor_text            varchar      link text ('' for canonical and redirect records)
--   kind                   varchar      anchor, image, area, canonical or redirect
--   page_nofollow          boolean      the page is robots nofollow
--   placement              varchar      page region; '(none)' for canonical and redirect records
--   occurrences            integer      how often the link appears in that region of the page
--   nofollow_occurrences   integer      of those, nofollow (rel or page-level)
--   ugc_occurrences        integer      of those, rel ugc
--   sponsored_occurrences  integer      of those, rel sponsored
--   position               integer      position of the first of them among the page's links (0-based)
--
-- The fct_backlinks rows of the crawl that fetched src_url last
-- (page_status), with the same rules as current_links. A view over the
-- facts, computed when read.

with

latest as (

    select
        url,
        crawl_id
    from page_status

),

final as (

    select fct_backlinks.*
    from fct_backlinks
    semi join latest
        on latest.crawl_id = fct_backlinks.crawl_id
        and latest.url = fct_backlinks.src_url

)

select * from final
