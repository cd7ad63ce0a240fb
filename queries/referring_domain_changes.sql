-- referring_domain_changes: the domains each crawl found newly linking to a domain, or no longer linking.
--
-- Grain: one row per (target_domain, referring_domain, crawl_id) in which the referring domain was new or lost.
-- Key: target_domain, referring_domain, crawl_id, event
-- Columns:
--   target_domain      varchar    registered domain linked to
--   referring_domain   varchar    registered domain of the linking pages
--   crawl_id           varchar    the crawl it happened in
--   previous_crawl_id  varchar    the crawl before it, in crawl order
--   event              varchar    new (no live backlink before, one now) or lost (live backlinks before, none now)
--   backlinks_before   bigint     live backlinks from referring_domain to target_domain after the previous crawl
--   backlinks_after    bigint     live backlinks after this crawl
--   new_backlinks      bigint     its backlinks new in this crawl (link_changes)
--   lost_backlinks     bigint     its backlinks lost in this crawl
--   lost_reasons       varchar[]  the distinct reasons of those losses, in name order ([] for new)
--
-- A live backlink is a backlink (src_url, dst_url, anchor_text, kind) whose page's latest read fetch so far counts its links
-- (fetch_state live or redirect). The backlinks live after a crawl are those
-- of the first crawl (the baseline) plus every later new event minus every
-- lost event of link_changes: a page a crawl did not fetch keeps its links,
-- so a referring domain is lost only when every one of its backlinks to the
-- target was lost, not merely left unverified. The first crawl has no events.

with

crawl_order as (

    select
        crawl_id,
        crawl_seq,
        lag(crawl_id) over (order by crawl_seq) as previous_crawl_id
    from crawls

),

-- the backlinks that count in the first crawl, one row per link (fct_backlinks has one per page region)
first_links as (

    select distinct
        fct_backlinks.dst_domain as target_domain,
        fct_backlinks.src_domain as referring_domain,
        fct_backlinks.src_url,
        fct_backlinks.dst_url,
        fct_backlinks.anchor_text,
        fct_backlinks.kind
    from fct_backlinks
    join fct_pages
        on fct_pages.crawl_id = fct_backlinks.crawl_id
        and fct_pages.url = fct_backlinks.src_url
    join crawl_order
        on crawl_order.crawl_id = fct_backlinks.crawl_id
    where crawl_order.crawl_seq = 1
        and fetch_state(fct_pages.status, fct_pages.error, fct_pages.noindex, fct_pages.url, fct_pages.final_url)
            in ('live', 'redirect')

),

baseline as (

    select
        target_domain,
        referring_domain,
        1 as crawl_seq,
        count(*) as new_backlinks,
        0 as lost_backlinks,
        []::varchar[] as lost_reasons
    from first_links
    group by target_domain, referring_domain

),

changes as (

    select
        link_changes.dst_domain as target_domain,
        link_changes.src_domain as referring_domain,
        crawl_order.crawl_seq,
        count(*) filter (where link_changes.event = 'new') as new_backlinks,
        count(*) filter (where link_changes.event = 'lost') as lost_backlinks,
        coalesce(
            list(distinct link_changes.reason order by link_changes.reason) filter (where link_changes.event = 'lost'),
            []
        ) as lost_reasons
    from link_changes
    join crawl_order
        on crawl_order.crawl_id = link_changes.crawl_id
    where link_changes.event in ('new', 'lost')
    group by link_changes.dst_domain, link_changes.src_domain, crawl_order.crawl_seq

),

running as (

    select
        *,
        (sum(new_backlinks - lost_backlinks) over (
            partition by target_domain, referring_domain
            order by crawl_seq
            rows between unbounded preceding and current row
        ))::bigint as backlinks_after
    from (select * from baseline union all by name select * from changes)

),

final as (

    select
        running.target_domain,
        running.referring_domain,
        crawl_order.crawl_id,
        crawl_order.previous_crawl_id,
        case when running.backlinks_after > 0 then 'new' else 'lost' end as event,
        running.backlinks_after - running.new_backlinks + running.lost_backlinks as backlinks_before,
        running.backlinks_after,
        running.new_backlinks,
        running.lost_backlinks,
        running.lost_reasons
    from running
    join crawl_order
        on crawl_order.crawl_seq = running.crawl_seq
    where running.crawl_seq > 1
        and (running.backlinks_after > 0) <> (running.backlinks_after - running.new_backlinks + running.lost_backlinks > 0)

)

select * from final
