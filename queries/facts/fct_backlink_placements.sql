-- fct_backlink_placements: the backlinks of each linking page counted by target domain, kind and page region.
--
-- Grain: one row per (crawl_id, src_url, dst_domain, kind, placement).
-- Key: crawl_id, src_url, dst_domain, kind, placement
-- Columns:
--   crawl_id            varchar  crawl of the fetch
--   src_url             varchar  linking page
--   src_domain          varchar  its registered domain
--   dst_domain          varchar  registered domain linked to
--   kind                varchar  anchor, image, area, canonical or redirect
--   placement           varchar  page region, '(none)' for canonical and redirect records
--   backlinks           bigint   backlink records
--   dofollow_backlinks  bigint   of those, without nofollow (neither rel nor page-level)
--
-- fct_backlinks keeps one row per distinct link, with the region of its first
-- occurrence; a link repeated on a page can sit in several regions, some
-- occurrences nofollow and some not. This small companion counts every
-- occurrence under its own region, so link_breakdown is exact. Backlinks
-- only (internal = false). Computed with fct_backlinks, one part file at a
-- time (a page's links are all in one part).

with

backlinks as (

    select * from stg_links
    where not internal

),

final as (

    select
        crawl_id,
        src_url,
        any_value(src_domain) as src_domain,
        dst_domain,
        kind,
        coalesce(placement, '(none)') as placement,
        count(*) as backlinks,
        count(*) filter (where not nofollow) as dofollow_backlinks
    from backlinks
    group by crawl_id, src_url, dst_domain, kind, coalesce(placement, '(none)')

)

select * from final
