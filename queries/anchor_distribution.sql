-- anchor_distribution: the anchor texts other domains use to link to each domain.
--
-- Grain: one row per (target_domain, anchor_text) among anchor backlinks.
-- Key: target_domain, anchor_text
-- Columns:
--   target_domain       varchar  registered domain linked to (links.dst_domain)
--   anchor_text         varchar  link text as extracted (image alt text for image links); '' when empty
--   backlinks           bigint   anchor backlinks with this text
--   referring_domains   bigint   distinct src_domain using this text
--   dofollow_backlinks  bigint   of those, without nofollow (neither rel nor page-level)
--   share               double   backlinks / the target's anchor backlinks, 0..1 (sums to 1 per target)
--   anchor_class        varchar  branded, naked_url, generic, image, empty or keyword (anchor_class())
--
-- Anchor backlinks only: link records with internal = false and kind anchor,
-- image or area. Canonical and redirect records carry no text and are not
-- anchors, so they are left out of the counts and of the share.
--
-- anchor_class is the class of the text for the target by the rules of
-- queries/macros/anchor_class.sql; a text used only by image links is
-- image, and a text used by image and text links is classed as text.

with

anchors as (

    select
        dst_domain as target_domain,
        anchor_text,
        src_domain,
        kind,
        occurrences,
        nofollow_occurrences
    from fct_backlinks
    where kind in ('anchor', 'image', 'area')

),

-- one row per referring domain first: referring_domains is then a count of rows
per_referring_domain as (

    select
        target_domain,
        anchor_text,
        src_domain,
        sum(occurrences) as backlinks,
        sum(occurrences - nofollow_occurrences) as dofollow_backlinks,
        bool_and(kind = 'image') as images_only
    from anchors
    group by target_domain, anchor_text, src_domain

),

per_anchor as (

    select
        target_domain,
        anchor_text,
        sum(backlinks)::bigint as backlinks,
        count(*) as referring_domains,
        sum(dofollow_backlinks)::bigint as dofollow_backlinks,
        bool_and(images_only) as images_only
    from per_referring_domain
    group by target_domain, anchor_text

),

-- the parts of anchor_class() that depend on the text alone, once per distinct text: far fewer than the
-- (target_domain, anchor_text) pairs, and the regular expressions are the costly part
texts as (

    select
        anchor_text,
        anchor_words(anchor_text) as words,
        anchor_is_url(anchor_text) as is_url,
        anchor_host(anchor_text) as text_host,
        anchor_is_generic(anchor_words(anchor_text)) as is_generic
    from (select distinct anchor_text from per_anchor)

),

final as (

    select
        per_anchor.target_domain,
        per_anchor.anchor_text,
        per_anchor.backlinks,
        per_anchor.referring_domains,
        per_anchor.dofollow_backlinks,
        per_anchor.backlinks::double / sum(per_anchor.backlinks) over (partition by per_anchor.target_domain) as share,
        anchor_class_of(
            texts.words,
            texts.is_url,
            texts.text_host,
            texts.is_generic,
            case when per_anchor.images_only then 'image' else 'anchor' end,
            per_anchor.target_domain
        ) as anchor_class
    from per_anchor
    join texts
        on texts.anchor_text is not distinct from per_anchor.anchor_text

)

select * from final
