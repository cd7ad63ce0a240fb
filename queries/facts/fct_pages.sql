-- fct_pages: every fetch that counts, one crawl at a time, with the page's host and domain.
--
-- Grain: one row per (crawl_id, url).
-- Key: crawl_id, url
-- Columns:
--   crawl_id        varchar      crawl the fetch belongs to
--   url             varchar      URL as requested
--   host            varchar      host of url
--   domain          varchar      registered domain of host (Public Suffix List, private section included)
--   fetched_at      timestamptz  when it was fetched (UTC)
--   status          smallint     HTTP status; null when no response arrived
--   final_url       varchar      the Location of a redirect, else url
--   content_type    varchar      Content-Type header
--   title           varchar      <title>, whitespace collapsed
--   content_length  bigint       bytes of the body as stored
--   links_out       integer      link records extracted from the fetch
--   page_nofollow   boolean      robots nofollow (meta or X-Robots-Tag)
--   noindex         boolean      robots noindex (null in records of schema 1.0)
--   ip_address      varchar      server address (null when unknown, and in records of schema 1.0)
--   error           varchar      why the fetch yielded no links, or only some (too_large...)
--   warc_file       varchar      WARC file of the response record, when archived
--   warc_offset     bigint       its byte offset
--
-- Computed once per crawl from that crawl's stg_pages and kept as Parquet
-- under DIR/facts/crawl_id=<id>/fct_pages/; recomputed only when the
-- crawl's record files change. url_host() takes the host out of a URL as
-- the extractor serialized it; host_domains maps each host to the domain it
-- is grouped under, by the rules the extractor uses for links
-- (crawler/urls.py host_domain: the registered domain, or the host itself
-- for an IP address or a bare public suffix).

with

pages as (

    select * from stg_pages

),

hosts as (

    select
        *,
        url_host(url) as host
    from pages

),

final as (

    select
        crawl_id,
        url,
        hosts.host,
        host_domains.domain,
        fetched_at,
        status,
        final_url,
        content_type,
        title,
        content_length,
        links_out,
        page_nofollow,
        noindex,
        ip_address,
        error,
        warc_file,
        warc_offset
    from hosts
    left join host_domains
        on host_domains.host = hosts.host

)

select * from final
