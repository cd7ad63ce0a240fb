-- target_matches: whether a link points into a target (a URL, a URL prefix, a host and its subdomains, or a domain).
--
-- target_matches(target, url, host, domain) -> boolean
--   target  struct(name varchar, mode varchar, domain varchar, host varchar, urls varchar[])
--           as linkindex.targets.Target.as_struct() writes it:
--             mode    exact, prefix, subdomains or domain
--             domain  the registered domain that holds the target
--             host    the host typed (subdomains: that host and every host under it)
--             urls    exact: the URLs; prefix: the prefixes (both with http and https when typed
--                     without a scheme); empty for the other modes
--   url, host, domain  dst_url, dst_host and dst_domain of the link
--
-- The same rules as Target.predicate(), which the report pushes down to the
-- records; tests check that both select the same links in every mode.
--
--   select count(*) from current_backlinks
--   where target_matches({'name': 'blog', 'mode': 'prefix', 'domain': 'example.com', 'host': 'example.com',
--                         'urls': ['https://example.com/blog/']}, dst_url, dst_host, dst_domain)

create or replace macro target_matches(target, url, host, domain) as
    domain = target.domain
    and case target.mode
        when 'domain' then true
        when 'subdomains' then host = target.host or ends_with(host, '.' || target.host)
        when 'exact' then list_contains(target.urls, url)
        when 'prefix' then list_bool_or([starts_with(url, prefix) for prefix in target.urls])
        else error('target_matches: unknown mode ' || target.mode)
    end
