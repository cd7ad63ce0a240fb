-- current_links: the current link graph: which page links to which URL, on the latest fetch of every page.
--
-- Materialized: view
-- Grain: one row per (src_url, dst_url) on the latest fetch of src_url.
-- Key: src_url, dst_url
-- Columns:
--   crawl_id              varchar  crawl of the latest fetch of src_url
--   src_url               varchar  page the links are on
--   src_domain            varchar  its registered domain
--   dst_url               varchar  URL linked to
--   dst_domain            varchar  its registered domain
--   internal              boolean  src_domain = dst_domain
--   occurrences           integer  link records from src_url to dst_url, of any kind and anchor text
--   nofollow_occurrences  integer  of those, nofollow (rel or page-level)
--
-- Internal links (fct_internal_links) and backlinks (fct_backlinks, summed
-- over anchors and kinds) of the crawl that fetched src_url last
-- (page_status). A page whose latest fetch gave no links (a 404, a redirect,
-- a failed fetch) has none here; a page that a later crawl did not fetch
-- keeps the links of its earlier fetch. A view over the facts, computed when
-- read; current_backlinks has the backlinks in full detail.

with

latest as (

    select
        url,
        crawl_id
    from page_status

),

internal_links as (

    select
        crawl_id,
        src_url,
        domain as src_domain,
        dst_url,
        domain as dst_domain,
        true as internal,
        occurrences,
        nofollow_occurrences
    from fct_internal_links

),

backlinks as (

    select
        crawl_id,
        src_url,
        any_value(src_domain) as src_domain,
        dst_url,
        any_value(dst_domain) as dst_domain,
        false as internal,
        sum(occurrences)::integer as occurrences,
        sum(nofollow_occurrences)::integer as nofollow_occurrences
    from fct_backlinks
    group by crawl_id, src_url, dst_url

),

final as (

    select links.*
    from (
        select * from internal_links
        union all
        select * from backlinks
    ) as links
    semi join latest
        on latest.crawl_id = links.crawl_id
        and latest.url = links.src_url

)

select * from final
