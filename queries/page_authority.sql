-- page_authority: how strong each page is by the links between pages (PageRank, on a 0-100 scale).
--
-- Grain: one row per URL of the current link graph (as source or target).
-- Key: url
-- Columns:
--   url            varchar  URL (a page fetched, or only linked to)
--   domain         varchar  its registered domain
--   pagerank       double   its PageRank in the page graph; all rows sum to 1
--   authority      double   100 * ln(pagerank / p0) / ln(max pagerank / p0), one decimal; p0 the smallest pagerank
--   rank           bigint   1 for the highest pagerank; pageranks equal to 1e-9 (relative) share a rank
--   linking_pages  bigint   distinct other pages linking to it with a followed link
--   linked_urls    bigint   distinct other URLs it links to with a followed link
--
-- As domain_authority, at URL level (linkindex/authority.py computes
-- _page_pagerank): the nodes are every src_url and dst_url of current_links;
-- a page links to a URL when it has a followed link to it, internal links
-- included and links to itself left out; each page splits its rank equally
-- among the distinct URLs it links to.

with

ranks as (

    select
        node as url,
        label as domain,
        pagerank,
        inbound as linking_pages,
        outbound as linked_urls
    from _page_pagerank

),

scale as (

    select
        min(pagerank) as floor,
        max(pagerank) as top
    from ranks

),

final as (

    select
        ranks.url,
        ranks.domain,
        ranks.pagerank,
        case
            when scale.top > scale.floor
                then round(100 * ln(ranks.pagerank / scale.floor) / ln(scale.top / scale.floor), 1)
            else 0.0
        end as authority,
        -- equal to 1e-9: rounding noise of the last bits (which differs with the order a sum is taken
        -- in, one machine or many) never splits a tie
        rank() over (order by round(ln(ranks.pagerank), 9) desc) as rank,
        ranks.linking_pages,
        ranks.linked_urls
    from ranks
    cross join scale

)

select * from final
