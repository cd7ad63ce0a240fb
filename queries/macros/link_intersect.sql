-- link_intersect: referring domains that link to several given domains and to none of the excluded ones.
--
-- link_intersect(domains, excluded := [], min_matching := null, dofollow := false) -> table
--   domains       varchar[]  registered domains whose referring domains to intersect
--   excluded      varchar[]  a referring domain that links to any of these is left out
--   min_matching  integer    link to at least this many of domains (null: all of them)
--   dofollow      boolean    count followed links only, for the excluded domains too
-- Columns:
--   referring_domain  varchar    registered domain of the linking pages
--   matching          bigint     how many of domains it links to
--   matching_domains  varchar[]  which, in name order
--   backlinks         bigint     its backlinks to them: distinct (src_url, dst_url, anchor_text, kind)
--   authority         double     its domain_authority.authority
--
-- Over the backlinks of the current link graph (current_backlinks: the
-- latest fetch of every page), whatever the follow status unless dofollow. The given and the excluded domains themselves are never
-- results. Ordered by matching, then authority, then name.
--
--   select * from link_intersect(['seed-supplies.de', 'rival-garden.fr'], ['example-shop.co.uk'], 1)

create or replace macro link_intersect(domains, excluded := [], min_matching := null, dofollow := false) as table
with

-- one row per backlink (current_backlinks has one per page region)
backlinks as (

    select distinct
        src_domain as referring_domain,
        dst_domain as target_domain,
        list_contains(domains, dst_domain) as to_given,
        src_url,
        dst_url,
        anchor_text,
        kind
    from current_backlinks
    where (list_contains(domains, dst_domain) or list_contains(excluded, dst_domain))
        and (not dofollow or nofollow_occurrences < occurrences)
        and not list_contains(domains, src_domain)
        and not list_contains(excluded, src_domain)

),

per_domain as (

    select
        referring_domain,
        count(distinct target_domain) filter (where to_given) as matching,
        list(distinct target_domain order by target_domain) filter (where to_given) as matching_domains,
        count(*) filter (where to_given) as backlinks,
        bool_or(not to_given) as links_excluded
    from backlinks
    group by referring_domain

),

final as (

    select
        per_domain.referring_domain,
        per_domain.matching,
        per_domain.matching_domains,
        per_domain.backlinks,
        domain_authority.authority
    from per_domain
    left join domain_authority
        on domain_authority.domain = per_domain.referring_domain
    where not per_domain.links_excluded
        and per_domain.matching >= coalesce(min_matching, len(domains))
    order by per_domain.matching desc, domain_authority.authority desc nulls last, per_domain.referring_domain

)

select * from final
