-- referring_domain_flags: named signals of link schemes on a domain's referring domains, each with a reason to check.
--
-- Grain: one row per (target_domain, referring_domain, flag) raised.
-- Key: target_domain, referring_domain, flag
-- Columns:
--   target_domain     varchar  registered domain linked to
--   referring_domain  varchar  registered domain of the linking pages
--   flag              varchar  the flag's name (below)
--   reason            varchar  one line a person can check ("links from 21 of its 21 pages that answered 2xx ...")
--
-- Over the backlinks of the current link graph (current_backlinks: the
-- latest fetch of every page), every kind; a backlink is a distinct
-- (src_url, dst_url, anchor_text, kind). Thresholds come from
-- link_quality_settings (LINK_QUALITY_* settings; defaults in parentheses).
-- Every flag is a heuristic: a pattern link schemes show and honest links
-- can show too.
--
--   sitewide          links to the target from at least sitewide_min_share (50 %) of the referring
--                     domain's HTML pages whose latest fetch answered 2xx, and from at least
--                     sitewide_min_pages (10) of them
--   boilerplate_only  every backlink with a page region sits in nav, header, footer or aside, each
--                     time it occurs
--   reciprocal        the target links back to the referring domain with a followed link
--   paid_or_ugc_only  every backlink is marked sponsored or ugc (on each of its occurrences)
--   outbound_heavy    the linking pages link to at least outbound_heavy_min_domains (100) distinct
--                     external domains, on average
--   same_network      the referring domain's server shares a network (IPv4 /24, IPv6 /48; global
--                     addresses only) with the target, or with at least same_network_min_domains (3)
--                     other referring domains of the target
--   low_authority     domain_authority.authority below low_authority_below (5)

with

settings as (

    select * from link_quality_settings

),

-- read once: every part of this query works from it
-- one row per backlink (current_backlinks has one per page region), read once:
-- every part of this query works from it
backlinks as materialized (

    select
        dst_domain as target_domain,
        any_value(src_domain) as referring_domain,
        src_url,
        -- the page regions it occurs in, one bit each (names in region_names below); 0 for none
        bit_or(
            case placement
                when 'aside' then 1 when 'body' then 2 when 'comment' then 4 when 'footer' then 8
                when 'header' then 16 when 'main' then 32 when 'nav' then 64 else 0
            end
        ) as regions,
        sum(ugc_occurrences) = sum(occurrences) as all_ugc,
        sum(sponsored_occurrences) = sum(occurrences) as all_sponsored,
        sum(nofollow_occurrences) < sum(occurrences) as followed
    from current_backlinks
    group by dst_domain, src_url, dst_url, anchor_text, kind

),

-- the names of every combination of regions, as reasons spell them
region_names as (

    select
        regions,
        concat_ws(
            ', ',
            case when regions & 1 <> 0 then 'aside' end,
            case when regions & 2 <> 0 then 'body' end,
            case when regions & 4 <> 0 then 'comment' end,
            case when regions & 8 <> 0 then 'footer' end,
            case when regions & 16 <> 0 then 'header' end,
            case when regions & 32 <> 0 then 'main' end,
            case when regions & 64 <> 0 then 'nav' end
        ) as names
    from range(128) as masks(regions)

),

pairs as (

    select
        target_domain,
        referring_domain,
        count(*) as backlinks
    from backlinks
    group by target_domain, referring_domain

),

-- HTML pages whose latest fetch answered 2xx, with their registered domain
answered_pages as (

    select
        fct_pages.domain,
        page_status.url
    from page_status
    join fct_pages
        on fct_pages.crawl_id = page_status.crawl_id
        and fct_pages.url = page_status.url
    where page_status.status between 200 and 299
        and coalesce(page_status.content_type ilike '%html%', true)

),

domain_pages as (

    select
        domain,
        count(*) as pages
    from answered_pages
    group by domain

),

linking_answered as (

    select
        backlinks.target_domain,
        backlinks.referring_domain,
        count(distinct backlinks.src_url) as pages,
        bit_or(backlinks.regions) as regions
    from backlinks
    semi join answered_pages
        on answered_pages.url = backlinks.src_url
    group by backlinks.target_domain, backlinks.referring_domain

),

sitewide as (

    select
        linking_answered.target_domain,
        linking_answered.referring_domain,
        'sitewide' as flag,
        format(
            'links from {:d} of its {:d} HTML pages that answered 2xx ({:.0f} %){}',
            linking_answered.pages,
            domain_pages.pages,
            100.0 * linking_answered.pages / domain_pages.pages,
            case
                when bit_count(linking_answered.regions) = 1 then ', all in the ' || region_names.names
                when bit_count(linking_answered.regions) > 1 then ', in ' || region_names.names
                else ''
            end
        ) as reason
    from linking_answered
    join domain_pages
        on domain_pages.domain = linking_answered.referring_domain
    join region_names
        on region_names.regions = linking_answered.regions
    cross join settings
    where linking_answered.pages >= settings.sitewide_min_pages
        and linking_answered.pages >= settings.sitewide_min_share * domain_pages.pages

),

regions as (

    select
        target_domain,
        referring_domain,
        count(*) filter (where regions > 0) as placed,
        -- only in aside, footer, header or nav: none of the bits of body, comment, main (2 + 4 + 32)
        count(*) filter (where regions > 0 and regions & 38 = 0) as boilerplate,
        bit_or(regions) as regions
    from backlinks
    group by target_domain, referring_domain

),

boilerplate_only as (

    select
        target_domain,
        referring_domain,
        'boilerplate_only' as flag,
        format(
            '{} in the {}, none in the main content or text',
            case when placed = 1 then 'its one backlink' else format('all {:d} backlinks', placed) end,
            region_names.names
        ) as reason
    from regions
    join region_names using (regions)
    where placed > 0
        and boilerplate = placed

),

links_back as (

    select
        referring_domain as target_domain,
        target_domain as referring_domain,
        count(*) as links,
        min(src_url) as example
    from backlinks
    where followed
    group by referring_domain, target_domain

),

reciprocal as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        'reciprocal' as flag,
        format(
            '{} links back to {} with {:d} followed link{} (one on {})',
            pairs.target_domain,
            pairs.referring_domain,
            links_back.links,
            case when links_back.links = 1 then '' else 's' end,
            links_back.example
        ) as reason
    from pairs
    join links_back
        on links_back.target_domain = pairs.target_domain
        and links_back.referring_domain = pairs.referring_domain

),

marked as (

    select
        target_domain,
        referring_domain,
        count(*) as backlinks,
        count(*) filter (where all_sponsored) as sponsored,
        count(*) filter (where all_ugc) as ugc,
        count(*) filter (where all_sponsored or all_ugc) as qualified
    from backlinks
    group by target_domain, referring_domain

),

paid_or_ugc_only as (

    select
        target_domain,
        referring_domain,
        'paid_or_ugc_only' as flag,
        case
            when sponsored = backlinks and ugc = backlinks then format('all {:d} backlinks are sponsored and ugc', backlinks)
            when sponsored = backlinks then format('all {:d} backlinks are sponsored', backlinks)
            when ugc = backlinks then format('all {:d} backlinks are ugc', backlinks)
            else format('all {:d} backlinks are sponsored ({:d}) or ugc ({:d})', backlinks, sponsored, ugc)
        end as reason
    from marked
    where qualified = backlinks

),

linking_pages as (

    select distinct
        target_domain,
        referring_domain,
        src_url
    from backlinks

),

external_domains as (

    select
        src_url,
        count(distinct target_domain) as domains
    from backlinks
    group by src_url

),

outbound as (

    select
        linking_pages.target_domain,
        linking_pages.referring_domain,
        count(*) as pages,
        avg(external_domains.domains) as average
    from linking_pages
    join external_domains
        on external_domains.src_url = linking_pages.src_url
    group by linking_pages.target_domain, linking_pages.referring_domain

),

outbound_heavy as (

    select
        outbound.target_domain,
        outbound.referring_domain,
        'outbound_heavy' as flag,
        format(
            'its {:d} linking page{} link{} to {:.0f} external domains on average',
            outbound.pages,
            case when outbound.pages = 1 then '' else 's' end,
            case when outbound.pages = 1 then 's' else '' end,
            outbound.average
        ) as reason
    from outbound
    cross join settings
    where outbound.average >= settings.outbound_heavy_min_domains

),

-- a server network of each referring domain, and who else of the target's is in it
networks as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        _server_networks.network
    from pairs
    join _server_networks
        on _server_networks.domain = pairs.referring_domain

),

shared as (

    select
        networks.target_domain,
        networks.referring_domain,
        networks.network,
        exists (
            select 1
            from _server_networks as target_networks
            where target_networks.domain = networks.target_domain
                and target_networks.network = networks.network
        ) as with_target,
        coalesce(
            list(distinct neighbours.referring_domain order by neighbours.referring_domain)
                filter (where neighbours.referring_domain <> networks.referring_domain),
            []
        ) as others
    from networks
    join networks as neighbours
        on neighbours.target_domain = networks.target_domain
        and neighbours.network = networks.network
    group by networks.target_domain, networks.referring_domain, networks.network

),

same_network as (

    select
        shared.target_domain,
        shared.referring_domain,
        'same_network' as flag,
        string_agg(
            format(
                'server network {} shared with {}{}{}',
                shared.network,
                case when shared.with_target then 'the target' else '' end,
                case
                    when shared.with_target and len(shared.others) >= settings.same_network_min_domains then ' and '
                    else ''
                end,
                case
                    when len(shared.others) >= settings.same_network_min_domains
                        then format(
                            '{:d} other referring domains ({}{})',
                            len(shared.others),
                            array_to_string(shared.others[1:5], ', '),
                            case when len(shared.others) > 5 then ', ...' else '' end
                        )
                    else ''
                end
            ),
            '; '
            order by shared.network
        ) as reason
    from shared
    cross join settings
    where shared.with_target
        or len(shared.others) >= settings.same_network_min_domains
    group by shared.target_domain, shared.referring_domain

),

low_authority as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        'low_authority' as flag,
        format(
            'authority {:.1f} (rank {:d} of {:d} domains)',
            domain_authority.authority,
            domain_authority.rank,
            (select count(*) from domain_authority)
        ) as reason
    from pairs
    join domain_authority
        on domain_authority.domain = pairs.referring_domain
    cross join settings
    where domain_authority.authority < settings.low_authority_below

),

final as (

    select * from sitewide
    union all
    select * from boilerplate_only
    union all
    select * from reciprocal
    union all
    select * from paid_or_ugc_only
    union all
    select * from outbound_heavy
    union all
    select * from same_network
    union all
    select * from low_authority

)

select * from final
