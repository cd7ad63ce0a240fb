-- link_changes: the backlinks each crawl found new, lost or changed on the pages it fetched.
--
-- Grain: one row per backlink event between a crawl and the previous crawl that read the same source page.
-- Key: crawl_id, src_url, dst_url, anchor_text, kind
-- Columns:
--   crawl_id           varchar      the later crawl
--   previous_crawl_id  varchar      the earlier crawl that read src_url last; null for new_page
--   event              varchar      new, lost or changed
--   reason             varchar      why (see below)
--   src_url            varchar      page the link is (or was) on
--   dst_url            varchar      URL linked to
--   anchor_text        varchar      link text ('' for canonical and redirect records)
--   kind               varchar      anchor, image, area, canonical or redirect
--   src_domain         varchar      registered domain of src_url
--   dst_domain         varchar      registered domain of dst_url
--   internal           boolean      src_domain = dst_domain: always false (backlinks only, see below)
--   nofollow_before    boolean      nofollow in the earlier fetch (every occurrence, rel or page-level); null for new
--   nofollow_after     boolean      nofollow in the later fetch; null for lost
--   rel_before         varchar      the link's qualifiers in the earlier fetch: nofollow, sponsored, ugc ('' none); null for new
--   rel_after          varchar      the same in the later fetch; null for lost
--   seen_at            timestamptz  fetched_at of the later fetch (UTC)
--
-- A link is (src_url, dst_url, anchor_text, kind), the key of inbound_links:
-- presence counts, not how often it occurs on the page. Backlinks only
-- (fct_backlinks): internal links are kept per page pair, without anchor
-- text or kind (fct_internal_links), so their changes are not events.
-- Crawls are in crawl order (crawls.crawl_seq). The first crawl is the
-- baseline: its links are not events. Each later
-- fetch of a page is compared with the page's fetch in the latest earlier
-- crawl that read it; the state of a fetch is fetch_state() (queries/macros),
-- and its links count when it is live (2xx, not noindex) or a redirect.
--
-- Reasons:
--   new      new_page           the page was not read by any earlier crawl
--            added_to_page      the page was read before without this link counting
--   lost     removed_from_page  the page answered 2xx (not noindex) and the link is gone
--            page_not_found     the page answered 404 or 410
--            page_redirected    the page answered 3xx (a changed redirect target too)
--            page_error         5xx after retries, another 4xx, or no answer (dns, timeout, connection)
--            page_noindex       the page is now noindex: the link may be there, it no longer counts
--   changed  became_nofollow    followed before, nofollow now (rel or page-level)
--            became_dofollow    nofollow before, followed now
--            rel_changed        sponsored or ugc changed, the follow status did not
--
-- A page that a later crawl did not fetch (or could not read) keeps its
-- links: they are unverified, never lost.

with

crawl_order as (

    select
        crawl_id,
        crawl_seq
    from crawls

),

fetches as (

    select
        fct_pages.crawl_id,
        crawl_order.crawl_seq,
        fct_pages.url,
        fct_pages.fetched_at,
        fetch_state(fct_pages.status, fct_pages.error, fct_pages.noindex, fct_pages.url, fct_pages.final_url) as state
    from fct_pages
    join crawl_order
        on crawl_order.crawl_id = fct_pages.crawl_id

),

-- fetches that tell what links a page has, each with the page's fetch before it
read_fetches as (

    select
        *,
        lag(crawl_id) over (partition by url order by crawl_seq) as previous_crawl_id
    from fetches
    where state <> 'unread'

),

comparisons as (

    select
        crawl_id,
        previous_crawl_id,
        url,
        fetched_at,
        state
    from read_fetches
    where crawl_seq > 1

),

-- the fetches whose links are compared, and that count them: each compared fetch and the one before it.
-- Only these are read, so the cost follows the pages later crawls fetched, not every crawl's links.
compared_fetches as (

    select
        crawl_id,
        url
    from comparisons
    where state in ('live', 'redirect')

    union

    select
        read_fetches.crawl_id,
        read_fetches.url
    from comparisons
    join read_fetches
        on read_fetches.crawl_id = comparisons.previous_crawl_id
        and read_fetches.url = comparisons.url
    where read_fetches.state in ('live', 'redirect')

),

-- the links of the fetches that count them, one row per link (fct_backlinks has a row per page region)
counted_links as (

    select
        fct_backlinks.crawl_id,
        fct_backlinks.src_url,
        fct_backlinks.dst_url,
        fct_backlinks.anchor_text,
        fct_backlinks.kind,
        any_value(fct_backlinks.src_domain) as src_domain,
        any_value(fct_backlinks.dst_domain) as dst_domain,
        false as internal,
        sum(fct_backlinks.nofollow_occurrences) = sum(fct_backlinks.occurrences) as nofollow,
        concat_ws(
            ' ',
            case when sum(fct_backlinks.nofollow_occurrences) = sum(fct_backlinks.occurrences) then 'nofollow' end,
            case when sum(fct_backlinks.sponsored_occurrences) > 0 then 'sponsored' end,
            case when sum(fct_backlinks.ugc_occurrences) > 0 then 'ugc' end
        ) as rel
    from fct_backlinks
    semi join compared_fetches
        on compared_fetches.crawl_id = fct_backlinks.crawl_id
        and compared_fetches.url = fct_backlinks.src_url
    group by
        fct_backlinks.crawl_id, fct_backlinks.src_url, fct_backlinks.dst_url, fct_backlinks.anchor_text,
        fct_backlinks.kind

),

links_after as (

    select
        comparisons.crawl_id,
        counted_links.*
    exclude (crawl_id)
    from comparisons
    join counted_links
        on counted_links.crawl_id = comparisons.crawl_id
        and counted_links.src_url = comparisons.url

),

links_before as (

    select
        comparisons.crawl_id,
        counted_links.*
    exclude (crawl_id)
    from comparisons
    join counted_links
        on counted_links.crawl_id = comparisons.previous_crawl_id
        and counted_links.src_url = comparisons.url

),

paired as (

    select
        coalesce(links_after.crawl_id, links_before.crawl_id) as crawl_id,
        coalesce(links_after.src_url, links_before.src_url) as src_url,
        coalesce(links_after.dst_url, links_before.dst_url) as dst_url,
        coalesce(links_after.anchor_text, links_before.anchor_text) as anchor_text,
        coalesce(links_after.kind, links_before.kind) as kind,
        coalesce(links_after.src_domain, links_before.src_domain) as src_domain,
        coalesce(links_after.dst_domain, links_before.dst_domain) as dst_domain,
        coalesce(links_after.internal, links_before.internal) as internal,
        links_before.nofollow as nofollow_before,
        links_after.nofollow as nofollow_after,
        links_before.rel as rel_before,
        links_after.rel as rel_after
    from links_after
    full outer join links_before
        on links_before.crawl_id = links_after.crawl_id
        and links_before.src_url = links_after.src_url
        and links_before.dst_url = links_after.dst_url
        and links_before.anchor_text = links_after.anchor_text
        and links_before.kind = links_after.kind

),

events as (

    select
        paired.*,
        comparisons.previous_crawl_id,
        comparisons.fetched_at as seen_at,
        case
            when paired.nofollow_before is null then 'new'
            when paired.nofollow_after is null then 'lost'
            else 'changed'
        end as event,
        case
            when paired.nofollow_before is null and comparisons.previous_crawl_id is null then 'new_page'
            when paired.nofollow_before is null then 'added_to_page'
            when paired.nofollow_after is null then
                case comparisons.state
                    when 'live' then 'removed_from_page'
                    when 'not_found' then 'page_not_found'
                    when 'redirect' then 'page_redirected'
                    when 'noindex' then 'page_noindex'
                    else 'page_error'
                end
            when paired.nofollow_after and not paired.nofollow_before then 'became_nofollow'
            when paired.nofollow_before and not paired.nofollow_after then 'became_dofollow'
            when paired.rel_before <> paired.rel_after then 'rel_changed'
        end as reason
    from paired
    join comparisons
        on comparisons.crawl_id = paired.crawl_id
        and comparisons.url = paired.src_url

),

final as (

    select
        crawl_id,
        previous_crawl_id,
        event,
        reason,
        src_url,
        dst_url,
        anchor_text,
        kind,
        src_domain,
        dst_domain,
        internal,
        nofollow_before,
        nofollow_after,
        rel_before,
        rel_after,
        seen_at
    from events
    where reason is not null

)

select * from final
