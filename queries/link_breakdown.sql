-- link_breakdown: each domain's backlinks split by link kind and by page region.
--
-- Grain: one row per (target_domain, dimension, value) with at least one backlink.
-- Key: target_domain, dimension, value
-- Columns:
--   target_domain       varchar  registered domain linked to (links.dst_domain)
--   dimension           varchar  'kind' or 'placement'
--   value               varchar  a kind, or a placement ('(none)' for canonical and redirect records)
--   backlinks           bigint   backlinks with this value
--   referring_domains   bigint   distinct src_domain among them
--   dofollow_backlinks  bigint   of those, without nofollow (neither rel nor page-level)
--   share               double   backlinks / the target's backlinks, 0..1 (sums to 1 per dimension)
--
-- Kinds: anchor, image, area, canonical, redirect. Placements: main, nav,
-- header, footer, aside, comment, body, and '(none)' for canonical and
-- redirect records, which have no placement. Backlinks only (internal =
-- false). Each dimension splits all of a target's backlinks, so its values
-- add up to domain_summary.backlinks.

with

backlinks as (

    select
        dst_domain as target_domain,
        src_domain,
        kind,
        placement,
        occurrences as backlinks,
        occurrences - nofollow_occurrences as dofollow_backlinks
    from fct_backlinks

),

-- both dimensions in one pass, one row per referring domain first:
-- referring_domains is then a count of rows
per_referring_domain as (

    select
        target_domain,
        case when grouping(kind) = 0 then 'kind' else 'placement' end as dimension,
        case when grouping(kind) = 0 then kind else placement end as value,
        src_domain,
        sum(backlinks) as backlinks,
        sum(dofollow_backlinks) as dofollow_backlinks
    from backlinks
    group by grouping sets ((target_domain, src_domain, kind), (target_domain, src_domain, placement))

),

grouped as (

    select
        target_domain,
        dimension,
        value,
        sum(backlinks)::bigint as backlinks,
        count(*) as referring_domains,
        sum(dofollow_backlinks)::bigint as dofollow_backlinks
    from per_referring_domain
    group by target_domain, dimension, value

),

final as (

    select
        target_domain,
        dimension,
        value,
        backlinks,
        referring_domains,
        dofollow_backlinks,
        backlinks::double / sum(backlinks) over (partition by target_domain, dimension) as share
    from grouped
    order by target_domain, dimension, value

)

select * from final
