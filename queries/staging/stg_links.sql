-- stg_links: the link records of the fetches that count.
--
-- Grain: one row per link record of a kept fetch (duplicates on a page kept).
-- Key: crawl_id, src_url, position
-- Columns:
--   crawl_id       varchar      crawl of the fetch
--   fetched_at     timestamptz  when the page was fetched (UTC)
--   src_url        varchar      page the link is on
--   src_host       varchar      its host
--   src_domain     varchar      its registered domain
--   src_surt_host  varchar      its host reversed, SURT style (com,example,www)
--   dst_url        varchar      URL linked to
--   dst_host       varchar      its host
--   dst_domain     varchar      its registered domain
--   dst_surt_host  varchar      its host reversed, SURT style
--   anchor_text    varchar      link text ('' for canonical and redirect records)
--   rel            varchar      rel tokens, lowercased, sorted, space-joined
--   nofollow       boolean      rel nofollow or page-level robots nofollow
--   ugc            boolean      rel ugc
--   sponsored      boolean      rel sponsored
--   page_nofollow  boolean      the page is robots nofollow
--   internal       boolean      src_domain = dst_domain
--   kind           varchar      anchor, image, area, canonical or redirect
--   placement      varchar      page region; null for canonical and redirect
--   position       integer      0-based position among the page's links
--
-- Reads raw_links (the link records as written, with their part file) and
-- stg_pages: the links of a page are those of its kept fetch, matched on
-- (crawl_id, url, fetched_at, part), since a page's row and its links are
-- always written in parts of the same name. Links whose page record is
-- missing are dropped: every writer writes a page record for each fetch.

with

kept as (

    select crawl_id, url, fetched_at, part from stg_pages

),

final as (

    select
        raw_links.crawl_id,
        raw_links.fetched_at,
        raw_links.src_url,
        raw_links.src_host,
        raw_links.src_domain,
        raw_links.src_surt_host,
        raw_links.dst_url,
        raw_links.dst_host,
        raw_links.dst_domain,
        raw_links.dst_surt_host,
        raw_links.anchor_text,
        raw_links.rel,
        raw_links.nofollow,
        raw_links.ugc,
        raw_links.sponsored,
        raw_links.page_nofollow,
        raw_links.internal,
        raw_links.kind,
        raw_links.placement,
        raw_links.position
    from raw_links
    semi join kept
        on raw_links.crawl_id = kept.crawl_id
        and raw_links.src_url = kept.url
        and raw_links.fetched_at = kept.fetched_at
        and raw_links.part = kept.part

)

select * from final
