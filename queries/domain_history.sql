-- domain_history: each domain's backlink profile after every crawl, for trends and charts.
--
-- Grain: one row per (target_domain, crawl_id), from the first crawl in which the target had a live backlink.
-- Key: target_domain, crawl_id
-- Columns:
--   target_domain           varchar      registered domain linked to
--   crawl_id                varchar      the crawl
--   crawl_seq               bigint       its place in crawl order (1 = first)
--   started                 timestamptz  when the crawl started (its earliest fetch, UTC)
--   backlinks               bigint       live backlinks after the crawl: distinct (src_url, dst_url, anchor_text, kind)
--   dofollow_backlinks      bigint       of those, followed (neither rel nor page-level nofollow)
--   referring_domains       bigint       distinct referring domains with a live backlink
--   new_backlinks           bigint       backlinks new in this crawl; null for the first crawl
--   lost_backlinks          bigint       backlinks lost in this crawl; null for the first crawl
--   new_referring_domains   bigint       referring domains new in this crawl; null for the first crawl
--   lost_referring_domains  bigint       referring domains lost in this crawl; null for the first crawl
--
-- Live as in referring_domain_changes: the baseline of the first crawl plus
-- the events of link_changes up to the crawl, so pages a crawl did not fetch
-- keep their backlinks. Every crawl has a row, changes or not, until the
-- last; a domain with no live backlinks left keeps rows with zeros.

with

crawl_order as (

    select
        crawl_id,
        crawl_seq,
        started
    from crawls

),

-- the backlinks that count in the first crawl, one row per link (fct_backlinks has one per page region)
first_links as (

    select
        fct_backlinks.dst_domain as target_domain,
        any_value(fct_backlinks.src_domain) as referring_domain,
        sum(fct_backlinks.nofollow_occurrences) < sum(fct_backlinks.occurrences) as followed
    from fct_backlinks
    join fct_pages
        on fct_pages.crawl_id = fct_backlinks.crawl_id
        and fct_pages.url = fct_backlinks.src_url
    join crawl_order
        on crawl_order.crawl_id = fct_backlinks.crawl_id
    where crawl_order.crawl_seq = 1
        and fetch_state(fct_pages.status, fct_pages.error, fct_pages.noindex, fct_pages.url, fct_pages.final_url)
            in ('live', 'redirect')
    group by
        fct_backlinks.dst_domain, fct_backlinks.src_url, fct_backlinks.dst_url, fct_backlinks.anchor_text,
        fct_backlinks.kind

),

baseline as (

    select
        target_domain,
        1 as crawl_seq,
        count(*) as backlinks_delta,
        count(*) filter (where followed) as dofollow_delta,
        0 as new_backlinks,
        0 as lost_backlinks
    from first_links
    group by target_domain

),

link_events as (

    select
        link_changes.dst_domain as target_domain,
        crawl_order.crawl_seq,
        count(*) filter (where event = 'new') - count(*) filter (where event = 'lost') as backlinks_delta,
        count(*) filter (where event = 'new' and not nofollow_after)
            - count(*) filter (where event = 'lost' and not nofollow_before)
            + count(*) filter (where reason = 'became_dofollow')
            - count(*) filter (where reason = 'became_nofollow') as dofollow_delta,
        count(*) filter (where event = 'new') as new_backlinks,
        count(*) filter (where event = 'lost') as lost_backlinks
    from link_changes
    join crawl_order
        on crawl_order.crawl_id = link_changes.crawl_id
    group by link_changes.dst_domain, crawl_order.crawl_seq

),

link_deltas as (

    select * from baseline
    union all by name
    select * from link_events

),

domain_baseline as (

    select
        target_domain,
        count(distinct referring_domain) as referring_domains
    from first_links
    group by target_domain

),

domain_events as (

    select
        referring_domain_changes.target_domain,
        crawl_order.crawl_seq,
        count(*) filter (where event = 'new') as new_referring_domains,
        count(*) filter (where event = 'lost') as lost_referring_domains
    from referring_domain_changes
    join crawl_order
        on crawl_order.crawl_id = referring_domain_changes.crawl_id
    group by referring_domain_changes.target_domain, crawl_order.crawl_seq

),

first_seen as (

    select
        target_domain,
        min(crawl_seq) as first_seq
    from link_deltas
    where backlinks_delta > 0
    group by target_domain

),

grid as (

    select
        first_seen.target_domain,
        crawl_order.crawl_id,
        crawl_order.crawl_seq,
        crawl_order.started
    from first_seen
    join crawl_order
        on crawl_order.crawl_seq >= first_seen.first_seq

),

filled as (

    select
        grid.*,
        coalesce(link_deltas.backlinks_delta, 0) as backlinks_delta,
        coalesce(link_deltas.dofollow_delta, 0) as dofollow_delta,
        link_deltas.new_backlinks,
        link_deltas.lost_backlinks,
        coalesce(domain_baseline.referring_domains, 0)
            + coalesce(domain_events.new_referring_domains, 0)
            - coalesce(domain_events.lost_referring_domains, 0) as referring_domains_delta,
        domain_events.new_referring_domains,
        domain_events.lost_referring_domains
    from grid
    left join link_deltas
        on link_deltas.target_domain = grid.target_domain
        and link_deltas.crawl_seq = grid.crawl_seq
    left join domain_baseline
        on domain_baseline.target_domain = grid.target_domain
        and grid.crawl_seq = 1
    left join domain_events
        on domain_events.target_domain = grid.target_domain
        and domain_events.crawl_seq = grid.crawl_seq

),

final as (

    select
        target_domain,
        crawl_id,
        crawl_seq,
        started,
        (sum(backlinks_delta) over history)::bigint as backlinks,
        (sum(dofollow_delta) over history)::bigint as dofollow_backlinks,
        (sum(referring_domains_delta) over history)::bigint as referring_domains,
        case when crawl_seq > 1 then coalesce(new_backlinks, 0) end as new_backlinks,
        case when crawl_seq > 1 then coalesce(lost_backlinks, 0) end as lost_backlinks,
        case when crawl_seq > 1 then coalesce(new_referring_domains, 0) end as new_referring_domains,
        case when crawl_seq > 1 then coalesce(lost_referring_domains, 0) end as lost_referring_domains
    from filled
    window history as (
        partition by target_domain order by crawl_seq rows between unbounded preceding and current row
    )

)

select * from final
