-- link_intersect: referring domains that link to several given targets and to none of the excluded ones.
--
-- target_intersect(targets, excluded := [], min_matching := null, dofollow := false) -> table
--   targets       struct[]   the targets whose referring domains to intersect, each as
--                            target_matches reads it (name, mode, domain, host, urls): a URL,
--                            a URL prefix, a host and its subdomains, or a registered domain
--   excluded      struct[]   a referring domain that links into any of these is left out
--   min_matching  integer    link to at least this many of targets (null: all of them)
--   dofollow      boolean    count followed links only, for the excluded targets too
-- link_intersect(domains, excluded := [], min_matching := null, dofollow := false) -> table
--   the same over registered domains given by name (varchar[]): each one a target of mode domain
-- Columns:
--   referring_domain  varchar    registered domain of the linking pages
--   matching          bigint     how many of the targets it links to
--   matching_targets  varchar[]  which (their names), in name order; link_intersect names the
--                                column matching_domains
--   backlinks         bigint     its backlinks to them: distinct (src_url, dst_url, anchor_text, kind)
--   authority         double     its domain_authority.authority
--
-- Over the backlinks of the current link graph (current_backlinks: the
-- latest fetch of every page), whatever the follow status unless dofollow.
-- The registered domains of the given and the excluded targets are never
-- results. Ordered by matching, then authority, then name.
--
--   select * from link_intersect(['seed-supplies.de', 'rival-garden.fr'], ['example-shop.co.uk'], 1)

create or replace macro target_intersect(targets, excluded := [], min_matching := null, dofollow := false) as table
with

target_list as (

    select unnest(targets) as target, true as given
    union all
    select unnest(excluded) as target, false as given

),

-- one row per backlink and target it points into (current_backlinks has one per page region)
backlinks as (

    select distinct
        current_backlinks.src_domain as referring_domain,
        target_list.target.name as target_name,
        target_list.given,
        current_backlinks.src_url,
        current_backlinks.dst_url,
        current_backlinks.anchor_text,
        current_backlinks.kind
    from current_backlinks
    join target_list
        on target_list.target.domain = current_backlinks.dst_domain
    where target_matches(target_list.target, current_backlinks.dst_url, current_backlinks.dst_host,
                         current_backlinks.dst_domain)
        and (not dofollow or current_backlinks.nofollow_occurrences < current_backlinks.occurrences)
        and current_backlinks.src_domain not in (select target.domain from target_list)

),

per_domain as (

    select
        referring_domain,
        count(distinct target_name) filter (where given) as matching,
        list(distinct target_name order by target_name) filter (where given) as matching_targets,
        count(distinct (src_url, dst_url, anchor_text, kind)) filter (where given) as backlinks,
        bool_or(not given) as links_excluded
    from backlinks
    group by referring_domain

),

final as (

    select
        per_domain.referring_domain,
        per_domain.matching,
        per_domain.matching_targets,
        per_domain.backlinks,
        domain_authority.authority
    from per_domain
    left join domain_authority
        on domain_authority.domain = per_domain.referring_domain
    where not per_domain.links_excluded
        and per_domain.matching >= coalesce(min_matching, len(targets))
    order by per_domain.matching desc, domain_authority.authority desc nulls last, per_domain.referring_domain

)

select * from final;

create or replace macro link_intersect(domains, excluded := [], min_matching := null, dofollow := false) as table
select
    referring_domain,
    matching,
    matching_targets as matching_domains,
    backlinks,
    authority
from target_intersect(
    [{'name': domain, 'mode': 'domain', 'domain': domain, 'host': domain, 'urls': []::varchar[]} for domain in domains],
    excluded := [
        {'name': domain, 'mode': 'domain', 'domain': domain, 'host': domain, 'urls': []::varchar[]}
        for domain in excluded
    ],
    min_matching := min_matching,
    dofollow := dofollow
)
