"""Write ``examples/sample.warc.gz``: a small made-up web for the demo.

A dozen sites link to the fictional project site ``example.org`` from
blogs, news articles, a forum, a link directory and a GitHub Pages site, with
the variety a backlink report has to handle: nofollow, ugc and sponsored
links, links in navigation, footers, sidebars and comments, image links, a
canonical link, a redirect, a page that moved (404), a meta-nofollow page, a
windows-1252 page and a PDF. Dates and contents are fixed (only the random
WARC record ids change between runs):

    python examples/make_sample_warc.py
"""

from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OUTPUT = Path(__file__).with_name("sample.warc.gz")
START = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)


def page(title, body, head=""):
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    )


def blog(title, post, comments="", sidebar=""):
    return page(
        title,
        f"""<header><a href="/">Home</a> <nav class="menu"><a href="/about">About</a>
        <a href="/archive">Archive</a></nav></header>
        <main><article><h1>{title}</h1>{post}</article>
        <section id="comments" class="comments">{comments}</section></main>
        <aside class="sidebar">{sidebar}</aside>
        <footer><a href="https://theme.example.com/">Theme by Example Themes</a></footer>""",
    )


PAGES = {
    # The target site itself: internal links, a canonical, a redirect, a 404.
    "https://example.org/": page(
        "Example Project",
        """<nav><a href="/docs/">Docs</a> <a href="/download/">Download</a> <a href="/blog/">Blog</a></nav>
        <main><p>Example Project indexes links. <a href="/docs/quickstart">Start here</a>.</p></main>
        <footer><a href="https://github.com/example/project">Source on GitHub</a></footer>""",
        head='<link rel="canonical" href="https://example.org/">',
    ),
    "https://example.org/docs/": page(
        "Docs", '<main><a href="/docs/quickstart">Quickstart</a> <a href="/docs/sql">SQL</a></main>'
    ),
    "https://example.org/docs/quickstart": page("Quickstart", "<main><p>Two commands.</p></main>"),
    "https://example.org/download/": page("Download", '<main><a href="/files/manual.pdf">Manual (PDF)</a></main>'),
    # Referring sites.
    "https://blog.example.net/2026/09/link-graphs": blog(
        "Link graphs for everyone",
        """<p>I tried <a href="https://example.org/">Example Project</a> this week and the
        <a href="https://example.org/docs/quickstart">quickstart</a> took two minutes.
        Compare with <a href="https://tools.example.com/crawler" rel="nofollow">another crawler</a>.</p>""",
        comments="""<p>Great post! See <a href="https://spam.example/cheap" rel="ugc nofollow">cheap links</a>.</p>
        <p>Also <a href="https://example.org/docs/sql" rel="ugc">the SQL docs</a> are good.</p>""",
        sidebar='<a href="https://example.org/"><img src="/badge.png" alt="Powered by Example"></a>',
    ),
    "https://blog.example.net/2026/10/sql-tricks": blog(
        "Five SQL tricks",
        """<p>The <a href="https://example.org/docs/sql">Example Project SQL guide</a> shows how.
        Old links like <a href="https://example.org/old-docs">the old docs</a> still redirect.</p>""",
        sidebar='<a href="https://example.org/"><img src="/badge.png" alt="Powered by Example"></a>',
    ),
    "https://news.example.com/tech/open-source-link-index": page(
        "An open-source link index",
        """<header><nav><a href="/">News</a> <a href="/tech/">Tech</a></nav></header>
        <main><article><p>A new project, <a href="https://example.org/">Example Project</a>, lets anyone
        build a backlink index. Its <a href="https://example.org/download/">download page</a> lists
        releases. Sponsored: <a href="https://ads.example.com/offer" rel="sponsored">hosting offer</a>.
        An older release is at <a href="https://example.org/download/v0.9">v0.9</a>.</p></article></main>
        <footer><a href="/privacy">Privacy</a></footer>""",
    ),
    "https://forum.example.co.uk/t/backlink-tools/42": page(
        "Backlink tools? - Example Forum",
        """<main><div class="post"><p>Has anyone used
        <a href="https://example.org/" rel="ugc">example.org</a>?</p></div>
        <div class="post"><p>Yes: <a href="https://example.org/docs/" rel="ugc nofollow">docs here</a>.</p></div></main>""",
    ),
    "https://alice.github.io/notes/crawling": page(
        "Notes on crawling",
        """<article><p>My notes use <a href="https://example.org/">Example Project</a> and
        <a href="https://bob.github.io/">Bob's site</a>.</p></article>""",
    ),
    "https://bob.github.io/": page(
        "Bob", '<main><a href="https://alice.github.io/notes/crawling">Alice on crawling</a></main>'
    ),
    "https://links.example/directory/seo": page(
        "SEO tools directory",
        """<main><ul><li><a href="https://example.org/">Example Project - open-source backlink index</a></li>
        <li><a href="https://tools.example.com/crawler">Example Crawler</a></li></ul></main>""",
        head='<meta name="robots" content="index, nofollow">',
    ),
    "https://www.example.de/artikel/linkanalyse": None,  # windows-1252, below
}

LEGACY_PAGE = (
    "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>"
    "<title>Linkanalyse f\u00fcr Einsteiger</title></head><body><p>F\u00fcr die Analyse nutzen wir "
    "<a href='https://example.org/'>Example Project \u2013 Backlinks</a>.</p>"
    "<map name=m><area href='https://example.org/docs/' alt='Dokumentation'></map></body></html>"
).encode("cp1252")


def write_response(writer, url, status, headers, body, moment):
    http_headers = StatusAndHeaders(status, headers + [("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": moment.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    writer.write_record(record)


def main():
    moment = START
    with open(OUTPUT, "wb") as output:
        writer = WARCWriter(output, gzip=True, warc_version="1.1")
        writer.write_record(
            writer.create_warcinfo_record(
                OUTPUT.name, {"software": "linkindex examples/make_sample_warc.py", "description": "made-up demo web"}
            )
        )
        html = [("Content-Type", "text/html; charset=utf-8")]
        for url, text in PAGES.items():
            moment += timedelta(minutes=7)
            if text is None:
                write_response(writer, url, "200 OK", [("Content-Type", "text/html")], LEGACY_PAGE, moment)
            else:
                write_response(writer, url, "200 OK", html, text.encode(), moment)
        moment += timedelta(minutes=7)
        write_response(
            writer,
            "https://example.org/old-docs",
            "301 Moved Permanently",
            [("Location", "/docs/"), ("Content-Type", "text/html")],
            b"",
            moment,
        )
        moment += timedelta(minutes=7)
        write_response(
            writer,
            "https://example.org/download/v0.9",
            "404 Not Found",
            html,
            page("Not found", "<p>Gone.</p>").encode(),
            moment,
        )
        moment += timedelta(minutes=7)
        write_response(
            writer,
            "https://example.org/files/manual.pdf",
            "200 OK",
            [("Content-Type", "application/pdf")],
            b"%PDF-1.4\n% made-up manual\n%%EOF\n",
            moment,
        )
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
