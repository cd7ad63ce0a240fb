-- domain_authority: how strong each domain is by the links between domains (PageRank, on a 0-100 scale).
--
-- Grain: one row per registered domain of the current link graph (as source or target).
-- Key: domain
-- Columns:
--   domain             varchar  registered domain
--   pagerank           double   its PageRank in the domain graph; all rows sum to 1
--   authority          double   100 * ln(pagerank / p0) / ln(max pagerank / p0), one decimal; p0 the smallest pagerank
--   rank               bigint   1 for the highest pagerank; pageranks equal to 1e-9 (relative) share a rank
--   referring_domains  bigint   distinct domains linking to it with a followed link
--   linked_domains     bigint   distinct domains it links to with a followed link
--
-- The graph (linkindex/authority.py, which computes _domain_pagerank with
-- the in and out degrees): the
-- nodes are every src_domain and dst_domain of current_links, the latest
-- fetch of every page across all crawls (internal and nofollow links
-- included: a domain is a node even without edges); u links to v when u has
-- at least one followed link (neither rel nor page-level nofollow) to
-- another domain v. Each domain splits its rank equally among the domains
-- it links to; damping 0.85; the rank of domains without outgoing edges
-- (never-crawled targets too) is spread over all domains; iterated until the
-- L1 change is below 1e-10. A domain nothing links to has authority 0, the
-- strongest 100; when no domain links to another, every domain is 0.

with

ranks as (

    select
        node as domain,
        pagerank,
        inbound as referring_domains,
        outbound as linked_domains
    from _domain_pagerank

),

scale as (

    select
        min(pagerank) as floor,
        max(pagerank) as top
    from ranks

),

final as (

    select
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
        ranks.referring_domains,
        ranks.linked_domains
    from ranks
    cross join scale

)

select * from final
