-- page_status: what each URL answered the last time it was fetched.
--
-- Grain: one row per fetched URL (pages.url), over all crawls.
-- Key: url
-- Columns:
--   url           varchar      URL as requested
--   crawl_id      varchar      crawl of the latest fetch
--   fetched_at    timestamptz  time of the latest fetch (UTC)
--   status        smallint     HTTP status of the latest fetch; null when there was no response
--   final_url     varchar      where the latest fetch leads: the Location of a redirect, else url
--   content_type  varchar      Content-Type header of the latest response
--   title         varchar      <title> of the latest response, when HTML
--   error         varchar      why the latest fetch yielded no links (too_large, binary...), else null
--   crawls        bigint       crawls that fetched the URL
--
-- The latest fetch is the one with the greatest fetched_at; a tie between
-- crawls goes to the greatest crawl_id. Read from fct_pages, which keeps
-- the fetch that counts per (crawl_id, url) (see staging/stg_pages.sql).

with

fetches as (

    select
        url,
        crawl_id,
        fetched_at,
        status,
        final_url,
        content_type,
        title,
        error
    from fct_pages

),

ranked as (

    select
        *,
        count(*) over (partition by url) as crawls,
        row_number() over (partition by url order by fetched_at desc, crawl_id desc) as recency
    from fetches

),

latest as (

    select * from ranked
    where recency = 1

),

final as (

    select
        url,
        crawl_id,
        fetched_at,
        status,
        final_url,
        content_type,
        title,
        error,
        crawls
    from latest

)

select * from final
