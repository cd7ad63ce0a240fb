"""Targets: what a user types, in each mode, and the backlinks each selects (over the sample crawl of helpers.py)."""

from helpers import GONE, HOME, PRICING, write_sample
import pytest
from rich.console import Console

from linkindex.index import build, open_index
from linkindex.report import report
from linkindex.targets import TargetError, parse_target


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data_dir = write_sample(tmp_path_factory.mktemp("sample"))
    build(data_dir)
    return data_dir


EXAMPLE = ("example.com", "example.com")  # host, registered domain


@pytest.mark.parametrize(
    "typed, mode, expected",
    [
        # A bare host means its registered domain; a URL (a scheme, or a path) means that URL.
        ("Blog.Example.COM.", None, ("domain", (), "blog.example.com", "example.com")),
        ("https://Example.com:443/a?b=1#top", None, ("exact", ("https://example.com/a?b=1",), *EXAMPLE)),
        ("https://example.com", None, ("exact", ("https://example.com/",), *EXAMPLE)),
        ("example.com/a", None, ("exact", ("http://example.com/a", "https://example.com/a"), *EXAMPLE)),
        ("https://example.com/blog/", "prefix", ("prefix", ("https://example.com/blog/",), *EXAMPLE)),
        ("https://www.shop.co.uk/x", "subdomains", ("subdomains", (), "www.shop.co.uk", "shop.co.uk")),
        ("https://www.shop.co.uk/x", "domain", ("domain", (), "www.shop.co.uk", "shop.co.uk")),
        ("Bücher.de", None, ("domain", (), "xn--bcher-kva.de", "xn--bcher-kva.de")),
    ],
)
def test_parse_target(typed, mode, expected):
    target = parse_target(typed, mode)
    assert (target.mode, target.urls, target.host, target.domain) == expected


@pytest.mark.parametrize("typed", ["", "ftp://example.com/", "http://", "mailto:a@example.com"])
def test_what_is_not_a_target_is_refused(typed):
    with pytest.raises(TargetError, match="not a domain name or http"):
        parse_target(typed)


def backlinks(con, typed, mode=None):
    """The (dst_url, src_url) of the kept backlinks a target selects, and of the inbound_links rows it selects."""
    target = parse_target(typed, mode)
    condition, params = target.predicate()
    records = con.execute(f"select dst_url, src_url from links where not internal and {condition}", params).fetchall()
    condition, params = target.domain_predicate()
    inbound = con.execute(f"select distinct dst_url, src_url from inbound_links where {condition}", params).fetchall()
    assert set(inbound) == set(records)  # the same backlinks, over the table without dst_host
    return sorted(records)


def test_each_mode_selects_its_backlinks(data_dir):
    con = open_index(data_dir)
    try:
        home = [row for row in backlinks(con, "example.com") if row[0] == HOME]
        assert len(home) == 7  # 9 backlinks to example.com: 7 to the home page, 1 to /gone, 1 to www's /pricing
        assert backlinks(con, HOME) == home
        assert backlinks(con, "example.com/gone") == [(GONE, "https://news.org/story")]  # http or https
        assert backlinks(con, "http://example.com/gone") == []
        assert backlinks(con, "https://example.com/g", "prefix") == [(GONE, "https://news.org/story")]
        assert len(backlinks(con, "https://example.com/", "prefix")) == 8  # not www.example.com
        assert backlinks(con, "www.example.com", "subdomains") == [(PRICING, "https://blog.net/post")]
        assert backlinks(con, "example.com", "subdomains") == backlinks(con, "example.com")
        assert backlinks(con, "x'or'1'='1'--.example.com", "subdomains") == []  # a quote is valid in a host
    finally:
        con.close()


def run(data_dir, typed, mode=None):
    return report(data_dir, typed, console=Console(record=True, width=160), mode=mode)


def test_report_in_each_mode_counts_as_the_domain_report_does(data_dir):
    domain = run(data_dir, "example.com")
    # The apex and its subdomains are the whole registered domain: every number agrees.
    assert run(data_dir, "example.com", "subdomains") | {"mode": "domain", "target": "example.com"} == domain

    exact = run(data_dir, HOME)
    assert (exact["mode"], exact["target"]) == ("exact", HOME)
    totals = exact["totals"]
    assert (totals["backlinks"], totals["referring_domains"], totals["referring_pages"], totals["linked_pages"]) == (
        7, 3, 4, 1,
    )  # fmt: skip
    assert totals["dofollow_backlinks"] == 4  # a, b, d (ugc, not nofollow) and the redirect f
    assert [row["dst_url"] for row in exact["pages"]] == [HOME]
    assert exact["kind"] == {"anchor": 4, "image": 1, "redirect": 1, "canonical": 1}

    section = run(data_dir, "https://www.example.com/", "prefix")
    assert section["totals"]["backlinks"] == 1 and [r["anchor_text"] for r in section["anchors"]] == ["pricing"]
