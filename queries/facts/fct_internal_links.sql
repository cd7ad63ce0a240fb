-- fct_internal_links: which pages of a site link to which URLs of the same site, one crawl at a time.
--
-- Grain: one row per (crawl_id, src_url, dst_url) among internal links.
-- Key: crawl_id, src_url, dst_url
-- Columns:
--   crawl_id              varchar  crawl of the fetch
--   src_url               varchar  page the links are on
--   dst_url               varchar  URL of the same registered domain linked to
--   domain                varchar  the registered domain of both
--   occurrences           integer  link records from src_url to dst_url, of any kind and anchor text
--   nofollow_occurrences  integer  of those, nofollow (rel or page-level)
--
-- Internal links (internal = true) are most of the web's links and matter to
-- the index only as the graph inside a site (page authority): they are kept
-- without anchor text, kind or placement, which keeps the facts small.
-- Computed with fct_backlinks, one part file at a time.

with

internal_links as (

    select * from stg_links
    where internal

),

final as (

    select
        crawl_id,
        src_url,
        dst_url,
        -- a function of src_url, and equal to the dst_url's
        src_domain as domain,
        count(*)::integer as occurrences,
        count(*) filter (where nofollow)::integer as nofollow_occurrences
    from internal_links
    group by crawl_id, src_url, dst_url, src_domain

)

select * from final
