-- crawls: every crawl in the index, as a snapshot in time.
--
-- Grain: one row per crawl_id.
-- Key: crawl_id
-- Columns:
--   crawl_id   varchar      crawl id (the crawl_id=<id> partition of the records)
--   crawl_seq  bigint       1 for the crawl that started first, then 2, 3 ... in the order they started
--   started    timestamptz  earliest fetched_at of its pages (UTC)
--   finished   timestamptz  latest fetched_at of its pages (UTC)
--   pages      bigint       URLs fetched (one fetch counts per URL)
--   links      bigint       link records of those fetches
--   domains    bigint       distinct registered domains of the URLs fetched
--
-- Crawls are ordered by when they started; two that started at the same
-- instant are ordered by crawl_id. A later crawl is compared with the
-- earlier ones (link_changes, domain_history) in this order.

with

pages as (

    select
        crawl_id,
        fetched_at,
        links_out,
        domain
    from fct_pages

),

per_crawl as (

    select
        crawl_id,
        min(fetched_at) as started,
        max(fetched_at) as finished,
        count(*) as pages,
        sum(links_out)::bigint as links,
        count(distinct domain) as domains
    from pages
    group by crawl_id

),

final as (

    select
        crawl_id,
        row_number() over (order by started, crawl_id) as crawl_seq,
        started,
        finished,
        pages,
        links,
        domains
    from per_crawl
    order by crawl_seq

)

select * from final
