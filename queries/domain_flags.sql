-- domain_flags: named signals on a domain's own backlink profile, each with a reason to check.
--
-- Grain: one row per (target_domain, flag) raised.
-- Key: target_domain, flag
-- Columns:
--   target_domain  varchar  registered domain linked to
--   flag           varchar  anchor_over_optimised
--   reason         varchar  one line a person can check, with the share
--
-- anchor_over_optimised (a heuristic): keyword anchors are more than
-- keyword_anchor_max_share (30 %, link_quality_settings) of the target's
-- followed anchor backlinks in the current link graph, each distinct
-- (referring domain, anchor text) counted once, so one site repeating an
-- anchor on every page weighs as one. Anchor classes are anchor_class()
-- (queries/macros/anchor_class.sql), as in anchor_distribution.

with

settings as (

    select * from link_quality_settings

),

followed_anchors as (

    select distinct
        dst_domain as target_domain,
        src_domain as referring_domain,
        anchor_text,
        kind = 'image' as image
    from current_backlinks
    where kind in ('anchor', 'image', 'area')
        and nofollow_occurrences < occurrences

),

-- classed once per text, as in anchor_distribution: a text used by image and text links is classed as text
texts as (

    select
        target_domain,
        anchor_text,
        anchor_class(anchor_text, case when bool_and(image) then 'image' else 'anchor' end, target_domain)
            as anchor_class
    from followed_anchors
    group by target_domain, anchor_text

),

anchors as (

    select distinct
        followed_anchors.target_domain,
        followed_anchors.referring_domain,
        followed_anchors.anchor_text,
        texts.anchor_class
    from followed_anchors
    join texts
        on texts.target_domain = followed_anchors.target_domain
        and texts.anchor_text = followed_anchors.anchor_text

),

shares as (

    select
        target_domain,
        count(*) as anchors,
        count(*) filter (where anchor_class = 'keyword') as keyword_anchors
    from anchors
    group by target_domain

),

final as (

    select
        shares.target_domain,
        'anchor_over_optimised' as flag,
        format(
            'keyword anchors are {:.0f} % of its followed anchors ({:d} of {:d}, each referring domain and text once), '
            || 'over {:.0f} %',
            100.0 * shares.keyword_anchors / shares.anchors,
            shares.keyword_anchors,
            shares.anchors,
            100.0 * settings.keyword_anchor_max_share
        ) as reason
    from shares
    cross join settings
    where shares.keyword_anchors > settings.keyword_anchor_max_share * shares.anchors

)

select * from final
