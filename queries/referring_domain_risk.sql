-- referring_domain_risk: how risky each flagged referring domain is for its target, by a rule anyone can read.
--
-- Grain: one row per (target_domain, referring_domain) with at least one flag in referring_domain_flags.
-- Key: target_domain, referring_domain
-- Columns:
--   target_domain     varchar    registered domain linked to
--   referring_domain  varchar    registered domain of the linking pages
--   risk              varchar    high, medium or low
--   flags             varchar[]  the flags raised, in name order
--   why               varchar    the clause of the rule that gave the risk
--   backlinks         bigint     its backlinks to the target in the current link graph
--
-- The rule is data: risk_rules (linkindex/quality.py RISK_RULES), one clause
-- per row, tried in priority order; the first clause whose flags are all
-- raised, with at least min_flags flags raised in all, gives the risk:
--
--   low     paid_or_ugc_only: the links are marked as Google asks and pass no rank
--   high    same_network and at least one other flag: the shape of a link network
--   high    outbound_heavy and low_authority: a link farm or low-quality directory
--   high    sitewide, boilerplate_only and low_authority: template links from a weak site
--   medium  any two flags
--   low     one flag
--
-- The flags are heuristics, and so is the risk: it says where to look first.

with

flagged as (

    select
        target_domain,
        referring_domain,
        list(flag order by flag) as flags
    from referring_domain_flags
    group by target_domain, referring_domain

),

matches as (

    select
        flagged.target_domain,
        flagged.referring_domain,
        flagged.flags,
        risk_rules.risk,
        risk_rules.why
    from flagged
    join risk_rules
        on list_has_all(flagged.flags, risk_rules.flags)
        and len(flagged.flags) >= risk_rules.min_flags
    qualify row_number() over (
        partition by flagged.target_domain, flagged.referring_domain order by risk_rules.priority
    ) = 1

),

-- each backlink once (current_backlinks has a row per page region it occurs in), of flagged pairs only
flagged_backlinks as (

    select
        current_backlinks.dst_domain as target_domain,
        current_backlinks.src_domain as referring_domain
    from current_backlinks
    semi join flagged
        on flagged.target_domain = current_backlinks.dst_domain
        and flagged.referring_domain = current_backlinks.src_domain
    group by
        current_backlinks.dst_domain,
        current_backlinks.src_domain,
        current_backlinks.src_url,
        current_backlinks.dst_url,
        current_backlinks.anchor_text,
        current_backlinks.kind

),

backlinks as (

    select
        target_domain,
        referring_domain,
        count(*) as backlinks
    from flagged_backlinks
    group by target_domain, referring_domain

),

final as (

    select
        matches.target_domain,
        matches.referring_domain,
        matches.risk,
        matches.flags,
        matches.why,
        coalesce(backlinks.backlinks, 0) as backlinks
    from matches
    left join backlinks
        on backlinks.target_domain = matches.target_domain
        and backlinks.referring_domain = matches.referring_domain

)

select * from final
