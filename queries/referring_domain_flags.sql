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

-- each linking page once per (target, referring domain), with what the flags count of its backlinks: the
-- pairs below are then sums over pages, and no flag groups the backlinks again
linking_pages as materialized (

    select
        target_domain,
        referring_domain,
        src_url,
        count(*) as backlinks,
        count(*) filter (where regions > 0) as placed,
        -- only in aside, footer, header or nav: none of the bits of body, comment, main (2 + 4 + 32)
        count(*) filter (where regions > 0 and regions & 38 = 0) as boilerplate,
        bit_or(regions) as regions,
        count(*) filter (where all_sponsored) as sponsored,
        count(*) filter (where all_ugc) as ugc,
        count(*) filter (where all_sponsored or all_ugc) as qualified,
        count(*) filter (where followed) as followed
    from backlinks
    group by target_domain, referring_domain, src_url

),

-- a page has one referring domain, its own, so its rows above are its distinct external target domains
external_domains as (

    select
        src_url,
        count(*) as domains
    from linking_pages
    group by src_url

),

pairs as (

    select
        linking_pages.target_domain,
        linking_pages.referring_domain,
        sum(linking_pages.backlinks)::bigint as backlinks,
        sum(linking_pages.placed)::bigint as placed,
        sum(linking_pages.boilerplate)::bigint as boilerplate,
        bit_or(linking_pages.regions) as regions,
        sum(linking_pages.sponsored)::bigint as sponsored,
        sum(linking_pages.ugc)::bigint as ugc,
        sum(linking_pages.qualified)::bigint as qualified,
        sum(linking_pages.followed)::bigint as followed,
        min(linking_pages.src_url) filter (where linking_pages.followed > 0) as followed_example,
        count(*) as pages,
        avg(external_domains.domains) as average_external_domains,
        count(answered_pages.url) as answered_pages,
        bit_or(linking_pages.regions) filter (where answered_pages.url is not null) as answered_regions
    from linking_pages
    join external_domains
        on external_domains.src_url = linking_pages.src_url
    left join answered_pages
        on answered_pages.url = linking_pages.src_url
    group by linking_pages.target_domain, linking_pages.referring_domain

),

sitewide as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        'sitewide' as flag,
        format(
            'links from {:d} of its {:d} HTML pages that answered 2xx ({:.0f} %){}',
            pairs.answered_pages,
            domain_pages.pages,
            100.0 * pairs.answered_pages / domain_pages.pages,
            case
                when bit_count(pairs.answered_regions) = 1 then ', all in the ' || region_names.names
                when bit_count(pairs.answered_regions) > 1 then ', in ' || region_names.names
                else ''
            end
        ) as reason
    from pairs
    join domain_pages
        on domain_pages.domain = pairs.referring_domain
    join region_names
        on region_names.regions = pairs.answered_regions
    cross join settings
    where pairs.answered_pages > 0
        and pairs.answered_pages >= settings.sitewide_min_pages
        and pairs.answered_pages >= settings.sitewide_min_share * domain_pages.pages

),

boilerplate_only as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        'boilerplate_only' as flag,
        format(
            '{} in the {}, none in the main content or text',
            case when pairs.placed = 1 then 'its one backlink' else format('all {:d} backlinks', pairs.placed) end,
            region_names.names
        ) as reason
    from pairs
    join region_names
        on region_names.regions = pairs.regions
    where pairs.placed > 0
        and pairs.boilerplate = pairs.placed

),

-- the target links back: the pair the other way round has followed backlinks
reciprocal as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        'reciprocal' as flag,
        format(
            '{} links back to {} with {:d} followed link{} (one on {})',
            pairs.target_domain,
            pairs.referring_domain,
            links_back.followed,
            case when links_back.followed = 1 then '' else 's' end,
            links_back.followed_example
        ) as reason
    from pairs
    join pairs as links_back
        on links_back.target_domain = pairs.referring_domain
        and links_back.referring_domain = pairs.target_domain
    where links_back.followed > 0

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
    from pairs
    where qualified = backlinks

),

outbound_heavy as (

    select
        pairs.target_domain,
        pairs.referring_domain,
        'outbound_heavy' as flag,
        format(
            'its {:d} linking page{} link{} to {:.0f} external domains on average',
            pairs.pages,
            case when pairs.pages = 1 then '' else 's' end,
            case when pairs.pages = 1 then 's' else '' end,
            pairs.average_external_domains
        ) as reason
    from pairs
    cross join settings
    where pairs.average_external_domains >= settings.outbound_heavy_min_domains

),

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
