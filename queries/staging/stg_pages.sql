-- stg_pages: the fetch of each URL that counts in each crawl.
--
-- Grain: one row per (crawl_id, url).
-- Key: crawl_id, url
-- Columns:
--   crawl_id        varchar      crawl the fetch belongs to
--   fetched_at      timestamptz  when it was fetched (UTC)
--   url             varchar      URL as requested
--   final_url       varchar      the Location of a redirect, else url
--   status          smallint     HTTP status; null when no response arrived
--   content_type    varchar      Content-Type header
--   charset         varchar      encoding the page was decoded with
--   title           varchar      <title>, whitespace collapsed
--   content_length  bigint       bytes of the body as stored
--   links_out       integer      link records extracted from the fetch
--   page_nofollow   boolean      robots nofollow (meta or X-Robots-Tag)
--   warc_file       varchar      WARC file of the response record, when archived
--   warc_offset     bigint       its byte offset
--   error           varchar      why the fetch yielded no links, or only some (too_large...)
--   noindex         boolean      robots noindex (null in records of schema 1.0)
--   ip_address      varchar      server address (null when unknown, and in records of schema 1.0)
--   part            varchar      name of the part file the row was read from
--
-- Reads raw_pages: the page records as written, with the name of their part
-- file. A URL can be fetched more than once in one crawl (a worker that
-- crashed and re-fetched its queue, a WARC revisit, the same WARC file
-- extracted from two places). The fetch kept is, in this order:
--   1. the latest that had a body to read: a WARC revisit or a fetch that
--      failed (dns, timeout, connection, download_error) never hides an
--      earlier fetch that answered;
--   2. of fetches at the same instant, the one in the first part file by
--      name, so the same fetch written twice (two copies of a WARC file)
--      counts once;
--   3. then the smallest row, compared column by column, so the choice never
--      depends on the order files are read in.
-- Every other layer reads pages through this model.

with

fetches as (

    select * from raw_pages

),

ranked as (

    select
        *,
        row_number() over (
            partition by crawl_id, url
            order by
                coalesce(error, '') not in ('revisit', 'dns', 'timeout', 'connection', 'download_error') desc,
                fetched_at desc,
                part,
                -- the smallest row: every other column, in order
                final_url, status, content_type, charset, title, content_length, links_out, page_nofollow,
                warc_file, warc_offset, error, noindex, ip_address
        ) as preference
    from fetches

),

final as (

    select
        crawl_id,
        fetched_at,
        url,
        final_url,
        status,
        content_type,
        charset,
        title,
        content_length,
        links_out,
        page_nofollow,
        warc_file,
        warc_offset,
        error,
        noindex,
        ip_address,
        part
    from ranked
    where preference = 1

)

select * from final
