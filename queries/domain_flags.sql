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

-- as in anchor_distribution: the parts of anchor_class() that depend on the text alone, once per distinct text
text_parts as (

    select
        anchor_text,
        anchor_words(anchor_text) as words,
        anchor_is_url(anchor_text) as is_url,
        anchor_host(anchor_text) as text_host,
        anchor_is_generic(anchor_words(anchor_text)) as is_generic
    from (select distinct anchor_text from followed_anchors)

),

-- classed once per (target, text), as in anchor_distribution: a text used by image and text links is classed as text
texts as (

    select
        target_texts.target_domain,
        target_texts.anchor_text,
        anchor_class_of(
            text_parts.words,
            text_parts.is_url,
            text_parts.text_host,
            text_parts.is_generic,
            case when target_texts.images_only then 'image' else 'anchor' end,
            target_texts.target_domain
        ) as anchor_class
    from (
        select
            target_domain,
            anchor_text,
            bool_and(image) as images_only
        from followed_anchors
        group by target_domain, anchor_text
    ) as target_texts
    join text_parts
        on text_parts.anchor_text is not distinct from target_texts.anchor_text

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
