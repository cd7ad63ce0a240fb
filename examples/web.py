"""A small made-up web in two versions, a few weeks apart, for the tests and the demo.

Thirteen hosts with real public-suffix shapes (``.co.uk``, ``.com.au``,
``.org.uk``, ``.org.nz``, a ``blogspot.com`` blog, which the Public Suffix List's private
section makes a registered domain of its own) link to a garden shop,
``example-shop.co.uk``, and to two of its competitors: editorial links in
articles, footer and sidebar links, nofollow, ugc and sponsored links, an
image link, a link directory, a forum, redirects, pages that answer 404, a
robots.txt rule and a noindex page: about 200 pages. One site links to the
competitors and not to the shop: a link gap.

``V1`` is the web as a first crawl finds it; ``V2`` is the same web weeks
later (``CHANGES`` says what changed). Both are plain data: ``site(version)``
renders one as a ``tests.support.localsite.Site`` served on loopback, and
``expected_crawl`` / ``expected_link_changes`` derive, from the definitions
alone, what a crawl of each version must record and which link events the
index must find between them.

    python -m examples.web DIR     # crawl V1, then V2, into DIR (crawl ids v1, v2), and build the index
"""

from dataclasses import dataclass, field
import html
import os
from pathlib import Path
import subprocess
import sys

SHOP = "www.example-shop.co.uk"
SHOP_BLOG = "blog.example-shop.co.uk"
NEWS = "www.gardening-news.com.au"
BLOGGER = "greenthumb.blogspot.com"
DIRECTORY = "www.plant-directory.net"
SEEDS = "www.seed-supplies.de"
RIVAL = "www.rival-garden.fr"
FORUM = "forum.growers.org"
PARTNER = "www.partner-tools.com"
DEALS = "www.deals-weekly.co.uk"
CLUB = "www.garden-club.org.uk"
MAGAZINE = "www.old-magazine.com"
HERBS = "www.herb-society.org.nz"

#: The crawled hosts, in the order of the seeds.
HOSTS = (SHOP, SHOP_BLOG, NEWS, BLOGGER, DIRECTORY, SEEDS, RIVAL, FORUM, PARTNER, DEALS, CLUB, MAGAZINE, HERBS)
#: One seed per registered domain (a seed's scope is its registered domain, subdomains included).
SEEDS_URLS = tuple(f"http://{host}/" for host in HOSTS if host != SHOP_BLOG)
#: Sites the directory lists: linked to, never crawled.
NURSERIES = tuple(f"www.nursery{number:03d}.com" for number in range(210))
REGIONS = ("header", "nav", "main", "aside", "footer", "body")
PRODUCTS = 40
ARTICLES = 40


@dataclass(frozen=True)
class A:
    """A link on a page: ``href`` absolute or from the host's root, in a page region."""

    href: str
    text: str = ""
    rel: str = ""
    region: str = "main"
    image: bool = False  # an image link: the text is the image's alt


@dataclass(frozen=True)
class Page:
    title: str
    links: tuple[A, ...] = ()
    noindex: bool = False


@dataclass(frozen=True)
class Moved:
    """A redirect to ``location`` (absolute or from the host's root)."""

    location: str
    status: int = 301


@dataclass(frozen=True)
class Failing:
    """A server error, on every try."""

    status: int = 500


#: A version of the web: host -> path -> resource; "robots" holds the host's
#: Disallow prefixes (for every user agent). A path not listed answers 404.
Web = dict[str, dict]


def _shop() -> dict:
    footer = (
        A("/about", "About us", region="footer"),
        A("/contact", "Contact", region="footer"),
        A(f"http://{PARTNER}/", "Our partner for garden tools", region="footer"),
        A(f"http://{DEALS}/", "Weekly deals", rel="nofollow", region="footer"),
    )
    nav = (
        A("/", "Home", region="nav"),
        A("/products", "Products", region="nav"),
        A(f"http://{SHOP_BLOG}/", "Blog", region="nav"),
    )
    pages = {
        "robots": ("/cart/",),
        "/": Page(
            "Example Shop: everything for your garden",
            nav
            + tuple(A(f"/products/{n}", f"Product {n}") for n in range(1, 9))
            + (A("/cart/", "Basket", region="aside"),)
            + footer,
        ),
        "/products": Page(
            "All products", nav + tuple(A(f"/products/{n}", f"Product {n}") for n in range(1, PRODUCTS + 1)) + footer
        ),
        "/about": Page("About Example Shop", nav + footer),
        "/contact": Page("Contact", nav + footer),
        "/old-catalogue": Moved("/products"),
        "/sale": Moved("/sale-2023"),  # which is gone: a redirect to a 404
    }
    for n in range(1, PRODUCTS + 1):
        related = A(f"/products/{n % PRODUCTS + 1}", "You may also like")
        pages[f"/products/{n}"] = Page(
            f"Product {n}", nav + (related, A("/cart/", "Add to basket", region="aside")) + footer
        )
    return pages


def _shop_blog() -> dict:
    pages = {"/": Page("The Example Shop blog", tuple(A(f"/posts/{n}", f"Post {n}") for n in range(1, 9)))}
    for n in range(1, 9):
        pages[f"/posts/{n}"] = Page(
            f"Post {n}",
            (A("/", "Blog home", region="nav"), A(f"http://{SHOP}/products/{n}", "the product in this post")),
        )
    return pages


def _news() -> dict:
    nav = (A("/", "Gardening News", region="header"),)
    footer = (A("/", "Home", region="footer"),)
    editorial = {
        1: (A(f"http://{SHOP}/", "Example Shop"),),
        2: (A(f"http://{SHOP}/products/3", "organic vegetable seeds"),),
        3: (A(f"http://{SHOP}/products/4", "a great range of trowels"),),
        4: (A(f"http://{SHOP}/old-catalogue", "their old catalogue"),),
        5: (A(f"http://{SHOP}/products/5", "seed starter kits"),),
        6: (A(f"http://{SEEDS}/", "Seed Supplies"), A(f"http://{RIVAL}/", "Rival Garden")),
        7: (A(f"http://{SHOP}/products/discontinued", "a planter that is no longer sold"),),
        8: (A(f"http://{SHOP}/", "Sponsored: Example Shop", rel="sponsored", region="aside"),),
    }
    pages = {
        "/": Page(
            "Gardening News", nav + tuple(A(f"/articles/{n}", f"Article {n}") for n in range(1, ARTICLES + 1)) + footer
        )
    }
    for n in range(1, ARTICLES + 1):
        pages[f"/articles/{n}"] = Page(f"Article {n}", nav + editorial.get(n, ()) + footer)
    return pages


def _blogger() -> dict:
    posts = {
        1: (A(f"http://{SHOP}/", "Example Shop logo", image=True),),
        2: (A(f"http://{SHOP}/products/7", "click here"),),
        3: (A(f"http://{SHOP}/", "https://www.example-shop.co.uk/"),),
        4: (A(f"http://{NEWS}/", "Gardening News"),),
        6: (A(f"http://{SEEDS}/", "seed supplies"),),
        7: (A(f"http://{RIVAL}/", "rival garden"),),
        8: (A(f"http://{SHOP}/products/10", "compost bins"),),
    }
    pages = {
        "robots": (),
        "/": Page("Green Thumb", tuple(A(f"/2024/03/post-{n}.html", f"Post {n}") for n in range(1, 13))),
    }
    for n in range(1, 13):
        pages[f"/2024/03/post-{n}.html"] = Page(
            f"Post {n}",
            (A("/", "Green Thumb", region="header"),) + posts.get(n, ()) + (A("/", "More posts", region="aside"),),
        )
    return pages


def _directory() -> dict:
    pages = {"/": Page("Plant Directory", tuple(A(f"/category/{n}", f"Category {n}") for n in range(1, 5)))}
    for n in range(1, 5):
        listed = NURSERIES[(n - 1) * 30 : (n - 1) * 30 + 120]  # 120 sites a page, overlapping
        pages[f"/category/{n}"] = Page(
            f"Category {n}",
            (A("/", "Directory home", region="nav"),)
            + tuple(A(f"http://{site}/", site.removeprefix("www.")) for site in listed)
            + (
                A(f"http://{SHOP}/", "Garden supplies UK"),
                A(f"http://{SEEDS}/", "Seeds Germany"),
                A(f"http://{RIVAL}/", "French garden shop"),
            ),
        )
    return pages


def _seeds() -> dict:
    pages = {
        "/": Page(
            "Seed Supplies",
            tuple(A(f"/seite/{n}", f"Seite {n}") for n in range(1, 7))
            + (A(f"http://{RIVAL}/", "Partner in Frankreich", region="footer"),),
        )
    }
    for n in range(1, 7):
        pages[f"/seite/{n}"] = Page(f"Seite {n}", (A("/", "Startseite", region="nav"),))
    return pages


def _rival() -> dict:
    pages = {
        "/": Page("Rival Garden", tuple(A(f"/page/{n}", f"Page {n}") for n in range(1, 6)) + (A("/liens", "Liens"),))
    }
    for n in range(1, 6):
        pages[f"/page/{n}"] = Page(f"Page {n}", (A("/", "Accueil", region="nav"),))
    pages["/liens"] = Page("Liens", (A("/", "Accueil", region="nav"), A(f"http://{SEEDS}/", "Seed Supplies")))
    return pages


def _forum() -> dict:
    threads = {
        1: (A(f"http://{SHOP}/", "Example Shop", rel="nofollow ugc"),),
        2: (
            A(f"http://{SEEDS}/", "cheap seeds", rel="nofollow ugc"),
            A(f"http://{SHOP}/products/2", "this trowel", rel="nofollow ugc"),
        ),
        3: (A(f"http://{RIVAL}/", "rival garden", rel="nofollow ugc"),),
        4: (A(f"http://{NEWS}/articles/2", "the article", rel="ugc"),),
    }
    pages = {
        "/": Page(
            "Growers forum",
            tuple(A(f"/t/{n}", f"Thread {n}") for n in range(1, 21)) + (A("/search", "Search", region="header"),),
        ),
        "/search": Page(
            "Search", (A("/", "Forum", region="nav"), A(f"http://{SHOP}/", "Example Shop (3 threads)")), noindex=True
        ),
    }
    for n in range(1, 21):
        pages[f"/t/{n}"] = Page(f"Thread {n}", (A("/", "Forum", region="nav"),) + threads.get(n, ()))
    return pages


def _partner() -> dict:
    footer = (A(f"http://{SHOP}/", "best garden tools", region="footer"),)
    pages = {"/": Page("Partner Tools", tuple(A(f"/tools/{n}", f"Tool {n}") for n in range(1, 21)) + footer)}
    for n in range(1, 21):
        pages[f"/tools/{n}"] = Page(f"Tool {n}", (A("/", "Partner Tools", region="nav"),) + footer)
    return pages


def _deals() -> dict:
    pages = {"/": Page("Deals Weekly", tuple(A(f"/deal/{n}", f"Deal {n}") for n in range(1, 11)))}
    for n in range(1, 11):
        pages[f"/deal/{n}"] = Page(
            f"Deal {n}",
            (A("/", "All deals", region="nav"), A(f"http://{SHOP}/products/{n}", f"Garden deal {n}", rel="sponsored")),
        )
    return pages


def _club() -> dict:
    pages = {"/": Page("Garden Club", tuple(A(f"/{name}", name.title()) for name in ("members", "events", "links")))}
    for name in ("members", "events"):
        pages[f"/{name}"] = Page(name.title(), (A("/", "Club home", region="nav"),))
    pages["/links"] = Page(
        "Links",
        (
            A("/", "Club home", region="nav"),
            A(f"http://{SEEDS}/", "Seed Supplies"),
            A(f"http://{RIVAL}/", "Rival Garden"),
            A(f"http://{SHOP}/", "Example Shop"),
            A(f"http://{NEWS}/", "the news"),
        ),
    )
    return pages


def _magazine() -> dict:
    articles = {
        7: (A(f"http://{SHOP}/", "Example Shop review"),),
        9: (A(f"http://{SHOP}/products/1", "best seed trays"),),
        11: (A(f"http://{SHOP}/products/12", "garden kneeler"),),
    }
    pages = {
        "/": Page(
            "Old Magazine",
            tuple(A(f"/archive/{n}", f"Issue {n}") for n in range(1, 16))
            + (A(f"http://{NEWS}/", "Gardening News", region="aside"),),
        ),
    }
    for n in range(1, 16):
        pages[f"/archive/{n}"] = Page(
            f"Issue {n}",
            (A("/", "Old Magazine", region="nav"),)
            + articles.get(n, ())
            + (A("/", "Back to the archive", region="footer"),),
        )
    return pages


def _herbs() -> dict:
    pages = {"/": Page("Herb Society", tuple(A(f"/notes/{n}", f"Note {n}") for n in range(1, 5)))}
    for n in range(1, 5):
        pages[f"/notes/{n}"] = Page(f"Note {n}", (A("/", "Herb Society", region="nav"),))
    pages["/notes/2"] = Page(
        "Where to buy seeds",
        (
            A("/", "Herb Society", region="nav"),
            A(f"http://{SEEDS}/", "Seed Supplies, a German merchant"),
            A(f"http://{RIVAL}/", "a French nursery", rel="nofollow"),
        ),
    )
    return pages


def _v1() -> Web:
    return {
        SHOP: _shop(),
        SHOP_BLOG: _shop_blog(),
        NEWS: _news(),
        BLOGGER: _blogger(),
        DIRECTORY: _directory(),
        SEEDS: _seeds(),
        RIVAL: _rival(),
        FORUM: _forum(),
        PARTNER: _partner(),
        DEALS: _deals(),
        CLUB: _club(),
        MAGAZINE: _magazine(),
        HERBS: _herbs(),
    }


def _without(links: tuple[A, ...], href: str) -> tuple[A, ...]:
    kept = tuple(link for link in links if link.href != href)
    assert len(kept) < len(links), href
    return kept


def _replace(links: tuple[A, ...], href: str, **changes) -> tuple[A, ...]:
    assert any(link.href == href for link in links), href
    return tuple(A(**{**link.__dict__, **changes}) if link.href == href else link for link in links)


#: What changes from V1 to V2, one line each (the link events follow from the definitions).
CHANGES = (
    "gardening-news article 3 drops its link to the shop's trowels (lost: removed_from_page)",
    "greenthumb post 5 links to the shop's tomato seeds (new: added_to_page)",
    "gardening-news publishes a new article linking to the shop's sale (new: new_page), a redirect to a page gone",
    "old-magazine deletes issue 7 (lost: page_not_found)",
    "garden-club's link to the shop turns nofollow (changed: became_nofollow)",
    "old-magazine marks issue 9 noindex (lost: page_noindex)",
    "gardening-news article 5 redirects to article 6 (lost: page_redirected; its redirect is a new link)",
    "old-magazine issue 11 answers 500 (lost: page_error): the magazine no longer links to the shop at all",
    "the forum drops nofollow from a ugc link to the shop (changed: became_dofollow)",
    "deals-weekly marks a sponsored link ugc too (changed: rel_changed)",
    "rival-garden links to the shop from its links page (new; a new referring domain)",
    "greenthumb's robots.txt disallows post 8, which links to the shop: left out, its link unverified, not lost",
    "partner-tools unlinks tool 20: left out of the crawl, its footer link to the shop unverified, not lost",
)


def _v2() -> Web:
    web = _v1()
    news, blogger, magazine = web[NEWS], web[BLOGGER], web[MAGAZINE]

    article = news["/articles/3"]
    news["/articles/3"] = Page(article.title, _without(article.links, f"http://{SHOP}/products/4"))

    post = blogger["/2024/03/post-5.html"]
    blogger["/2024/03/post-5.html"] = Page(
        post.title, post.links[:1] + (A(f"http://{SHOP}/products/9", "heirloom tomato seeds"),) + post.links[1:]
    )

    home = news["/"]
    news["/"] = Page(
        home.title, home.links[:-1] + (A(f"/articles/{ARTICLES + 1}", "The spring sale"),) + home.links[-1:]
    )
    news[f"/articles/{ARTICLES + 1}"] = Page(
        "The spring sale",
        (
            A("/", "Gardening News", region="header"),
            A(f"http://{SHOP}/sale", "Example Shop spring sale"),
            A("/", "Home", region="footer"),
        ),
    )

    del magazine["/archive/7"]

    links = web[CLUB]["/links"]
    web[CLUB]["/links"] = Page(links.title, _replace(links.links, f"http://{SHOP}/", rel="nofollow"))

    issue = magazine["/archive/9"]
    magazine["/archive/9"] = Page(issue.title, issue.links, noindex=True)

    news["/articles/5"] = Moved("/articles/6")

    magazine["/archive/11"] = Failing(500)

    thread = web[FORUM]["/t/2"]
    web[FORUM]["/t/2"] = Page(thread.title, _replace(thread.links, f"http://{SHOP}/products/2", rel="ugc"))

    deal = web[DEALS]["/deal/2"]
    web[DEALS]["/deal/2"] = Page(deal.title, _replace(deal.links, f"http://{SHOP}/products/2", rel="sponsored ugc"))

    liens = web[RIVAL]["/liens"]
    web[RIVAL]["/liens"] = Page(liens.title, liens.links + (A(f"http://{SHOP}/", "Example Shop"),))

    blogger["robots"] = ("/2024/03/post-8.html",)

    home = web[PARTNER]["/"]
    web[PARTNER]["/"] = Page(home.title, _without(home.links, "/tools/20"))
    return web


V1: Web = _v1()
V2: Web = _v2()


# -- what a crawl of a version records -----------------------------------------


@dataclass(frozen=True)
class Link:
    """A link record as the crawler writes it (the fields the index compares)."""

    dst_url: str
    anchor_text: str
    kind: str
    nofollow: bool
    ugc: bool
    sponsored: bool
    placement: str | None


@dataclass(frozen=True)
class Fetch:
    """A page record and its links, as a crawl of the version writes them."""

    url: str
    status: int
    noindex: bool
    links: tuple[Link, ...] = field(default=())


def _absolute(host: str, href: str) -> str:
    return href if "://" in href else f"http://{host}{href}"


def _host_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


def _record(host: str, link: A) -> Link:
    tokens = link.rel.split()
    return Link(
        _absolute(host, link.href),
        link.text,
        "image" if link.image else "anchor",
        "nofollow" in tokens,
        "ugc" in tokens,
        "sponsored" in tokens,
        link.region,
    )


def _in_document_order(links: tuple[A, ...]) -> tuple[A, ...]:
    return tuple(sorted(links, key=lambda link: REGIONS.index(link.region)))


def fetch(web: Web, url: str) -> Fetch:
    """What fetching ``url`` from ``web`` records."""
    host = _host_of(url)
    path = url.split(host, 1)[1] or "/"
    resource = web.get(host, {}).get(path)
    if isinstance(resource, Page):
        links = tuple(_record(host, link) for link in _in_document_order(resource.links))
        return Fetch(url, 200, resource.noindex, links)
    if isinstance(resource, Moved):
        target = _absolute(host, resource.location)
        return Fetch(url, resource.status, False, (Link(target, "", "redirect", False, False, False, None),))
    if isinstance(resource, Failing):
        return Fetch(url, resource.status, False)
    return Fetch(url, 404, False)


def _allowed(web: Web, url: str) -> bool:
    host = _host_of(url)
    path = url.split(host, 1)[1] or "/"
    return not any(path.startswith(prefix) for prefix in web.get(host, {}).get("robots", ()))


def _domain(host: str) -> str:
    from crawler.urls import host_domain

    return host_domain(host)


def expected_crawl(web: Web) -> dict[str, Fetch]:
    """URL -> what a crawl of ``web`` from ``SEEDS_URLS`` records: every page reachable from a seed within its
    seed's registered domain, robots.txt obeyed (nofollow links are followed, as the crawler does)."""
    scope = {_domain(_host_of(seed)) for seed in SEEDS_URLS}
    fetched: dict[str, Fetch] = {}
    queue = list(SEEDS_URLS)
    while queue:
        url = queue.pop(0)
        if url in fetched or not _allowed(web, url):
            continue
        fetched[url] = page = fetch(web, url)
        queue.extend(link.dst_url for link in page.links if _domain(_host_of(link.dst_url)) in scope)
    return fetched


# -- the link events between two crawls ----------------------------------------


@dataclass(frozen=True)
class Event:
    """One row of link_changes, in the fields a test compares."""

    event: str
    reason: str
    src_url: str
    dst_url: str
    anchor_text: str
    kind: str
    nofollow_before: bool | None
    nofollow_after: bool | None


def _counted(page: Fetch) -> dict[tuple, Link]:
    """The links of a fetch that count: those of a 2xx page that is not noindex, or of a redirect."""
    if page.noindex or not (200 <= page.status < 400):
        return {}
    links = {}
    for link in page.links:
        key = (link.dst_url, link.anchor_text, link.kind)
        if key in links:  # a repeat: the link is nofollow only if every occurrence is
            first = links[key]
            link = Link(
                *key,
                first.nofollow and link.nofollow,
                first.ugc or link.ugc,
                first.sponsored or link.sponsored,
                first.placement,
            )
        links[key] = link
    return links


def _lost_reason(page: Fetch) -> str:
    if page.noindex and 200 <= page.status < 300:
        return "page_noindex"
    if 200 <= page.status < 300:
        return "removed_from_page"
    if 300 <= page.status < 400:
        return "page_redirected"
    if page.status in (404, 410):
        return "page_not_found"
    return "page_error"


def expected_link_changes(before: Web, after: Web) -> set[Event]:
    """The backlink events between a crawl of ``before`` and a later crawl of ``after``, by the documented rules
    (``link_changes`` in docs/tables.md). Links within a registered domain are not events."""
    first, second = expected_crawl(before), expected_crawl(after)
    events = set()
    for url, page in second.items():
        now = _counted(page)
        if url not in first:
            events |= {Event("new", "new_page", url, *key, None, link.nofollow) for key, link in now.items()}
            continue
        then = _counted(first[url])
        for key in now.keys() - then.keys():
            events.add(Event("new", "added_to_page", url, *key, None, now[key].nofollow))
        for key in then.keys() - now.keys():
            events.add(Event("lost", _lost_reason(page), url, *key, then[key].nofollow, None))
        for key in then.keys() & now.keys():
            old, new = then[key], now[key]
            if old.nofollow != new.nofollow:
                events.add(Event("changed", "became_nofollow" if new.nofollow else "became_dofollow", url, *key,
                                 old.nofollow, new.nofollow))  # fmt: skip
            elif (old.ugc, old.sponsored) != (new.ugc, new.sponsored):
                events.add(Event("changed", "rel_changed", url, *key, old.nofollow, new.nofollow))
    return {event for event in events if _domain(_host_of(event.src_url)) != _domain(_host_of(event.dst_url))}


def latest_fetches(*versions: Web) -> dict[str, Fetch]:
    """URL -> its latest fetch after crawls of ``versions`` in order: a page a crawl left out keeps its fetch before."""
    latest: dict[str, Fetch] = {}
    for web in versions:
        latest.update(expected_crawl(web))
    return latest


def current_links(*versions: Web) -> set[tuple[str, str, str, str, bool]]:
    """The current link graph after crawls of ``versions``: (src_url, dst_url, anchor_text, kind, nofollow) of
    the latest fetch of every page, whatever it answered (a noindex page's links too)."""
    links = set()
    for url, page in latest_fetches(*versions).items():
        merged: dict[tuple, bool] = {}
        for link in page.links:
            key = (link.dst_url, link.anchor_text, link.kind)
            merged[key] = merged.get(key, True) and link.nofollow
        links |= {(url, *key, nofollow) for key, nofollow in merged.items()}
    return links


def live_links(*versions: Web) -> set[tuple[str, str, str, str, bool]]:
    """The live links after crawls of ``versions``: those of the latest fetch of every page that counts them."""
    return {
        (url, *key, link.nofollow)
        for url, page in latest_fetches(*versions).items()
        for key, link in _counted(page).items()
    }


# -- serving and crawling ------------------------------------------------------


def _render(page: Page) -> str:
    head = '<meta name="robots" content="noindex">' if page.noindex else ""
    parts = []
    for region in REGIONS:
        links = [link for link in page.links if link.region == region]
        if not links:
            continue
        anchors = []
        for link in links:
            rel = f' rel="{html.escape(link.rel)}"' if link.rel else ""
            inner = f'<img src="/logo.png" alt="{html.escape(link.text)}">' if link.image else html.escape(link.text)
            anchors.append(f'<a href="{html.escape(link.href)}"{rel}>{inner}</a>')
        text = "<p>" + "</p>\n<p>".join(f"From the {region}: {anchor}." for anchor in anchors) + "</p>"
        parts.append(text if region == "body" else f"<{region}>{text}</{region}>")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(page.title)}</title>'
        f"{head}</head><body>{''.join(parts)}</body></html>"
    )


def site(web: Web):
    """``web`` as a ``tests.support.localsite.Site``: every host on one loopback port."""
    from tests.support.localsite import Resource, Site, page, robots

    hosts = {}
    for host, resources in web.items():
        rules = [f"Disallow: {prefix}" for prefix in resources.get("robots", ())] or ["Disallow:"]
        served = {"/robots.txt": robots("\n".join(["User-agent: *", *rules, ""]))}
        for path, resource in resources.items():
            if path == "robots":
                continue
            if isinstance(resource, Page):
                served[path] = page(_render(resource))
            elif isinstance(resource, Moved):
                served[path] = Resource(b"", resource.status, (("Location", resource.location),))
            else:
                served[path] = page("<title>Server error</title>", status=resource.status)
        hosts[host] = served
    return Site(hosts)


def crawl(web: Web, data: str | Path, crawl_id: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Serve ``web`` on loopback and crawl it into ``data`` with ``linkindex crawl`` (a child process)."""
    from tests.support.localsite import proxy_env, serve

    root = Path(__file__).resolve().parents[1]
    with serve(site(web)) as base:
        env = proxy_env(base)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        return subprocess.run(
            [sys.executable, "-m", "linkindex.cli", "crawl", *SEEDS_URLS, "--data", str(data), "--crawl-id", crawl_id,
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *args],
            env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m examples.web DIR   (crawl V1, then V2, into DIR and build the index)", file=sys.stderr)
        return 2
    data = Path(argv[0])
    for web, crawl_id in ((V1, "v1"), (V2, "v2")):
        done = crawl(web, data, crawl_id)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        print(f"crawled {crawl_id} into {data}")
    from linkindex.index import build

    build(data)
    print(f"built {data / 'index.duckdb'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
