-- fetch_state: what a fetch of a page says about the links on it, for comparing crawls.
--
-- fetch_state(status, error, noindex, url, final_url) -> varchar, the first that applies:
--
--   unread     nothing learnt about the page's links: a WARC revisit, a body that could not be
--              read (binary, decode_error, content_decode), or a status such as 304 or 1xx.
--              Such a fetch counts as if the page had not been fetched.
--   error      no answer (dns, timeout, connection, download_error: null status), or a 4xx other
--              than 404 and 410, or a 5xx (after the crawler's retries)
--   noindex    2xx, and the page asks not to be indexed: its links no longer count
--   live       2xx (a body cut at the size limit too: its links are those of the part read), or a
--              WARC resource record (no status)
--   redirect   3xx with a Location elsewhere: its one link is the redirect record
--   not_found  404 or 410
--
-- The links of a fetch count (are live) when its state is live or redirect.

create or replace macro fetch_state(status, error, noindex, url, final_url) as
    case
        when error in ('revisit', 'binary', 'decode_error', 'content_decode') then 'unread'
        when status is null and error is not null then 'error'
        when status is null then 'live'
        when status between 200 and 299 and coalesce(noindex, false) then 'noindex'
        when status between 200 and 299 then 'live'
        when status between 300 and 399 and final_url <> url then 'redirect'
        when status in (404, 410) then 'not_found'
        when status between 400 and 599 then 'error'
        else 'unread'
    end
