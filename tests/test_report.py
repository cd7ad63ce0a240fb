"""The backlink profile of a domain, over the sample crawl of helpers.py."""

from helpers import GONE, HOME, PRICING, ts, write_sample
import pytest
from rich.console import Console

from linkindex.index import IndexBuildError, build
from linkindex.report import normalize_domain, report


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data_dir = write_sample(tmp_path_factory.mktemp("sample"))
    build(data_dir)
    return data_dir


def run(data_dir, domain, **kwargs):
    console = Console(record=True, width=160)
    result = report(data_dir, domain, console=console, **kwargs)
    return result, console.export_text()


def test_report_returns_the_numbers_it_shows(data_dir):
    result, text = run(data_dir, "example.com")
    assert result["domain"] == "example.com"
    assert result["totals"] == {
        "backlinks": 9,
        "dofollow_backlinks": 4,
        "nofollow_backlinks": 5,
        "ugc_backlinks": 2,
        "sponsored_backlinks": 1,
        "dofollow_share": pytest.approx(4 / 9),
        "referring_domains": 3,
        "referring_pages": 4,
        "linked_pages": 3,
        "first_seen": ts(1, 12),
        "last_seen": ts(1, 10, month=2),
    }
    assert [
        (r["referring_domain"], r["backlinks"], r["dofollow_backlinks"]) for r in result["referring_domains"]
    ] == [
        ("blog.net", 5, 3),
        ("news.org", 2, 1),
        ("spam.biz", 2, 0),
    ]
    assert [(r["anchor_text"], r["backlinks"]) for r in result["anchors"]] == [
        ("Example", 4),
        ("Example logo", 1),
        ("broken", 1),
        ("pricing", 1),
    ]
    assert [
        (r["dst_url"], r["referring_domains"], r["backlinks"], r["dst_status"]) for r in result["pages"]
    ] == [
        (HOME, 3, 7, 200),
        (GONE, 1, 1, 404),
        (PRICING, 1, 1, None),
    ]
    assert result["rel"] == {"dofollow": 4, "nofollow": 5, "ugc": 2, "sponsored": 1}
    assert result["kind"] == {"anchor": 6, "canonical": 1, "image": 1, "redirect": 1}
    assert result["placement"] == {"main": 3, "(none)": 2, "aside": 1, "body": 1, "comment": 1, "footer": 1}

    assert "Backlink profile of example.com" in text
    assert "44.4%" in text  # dofollow share
    for shown in (
        "blog.net",
        "Example logo",
        "https://example.com/gone",
        "404",
        "not fetched",
        "sponsored",
        "canonical",
    ):
        assert shown in text


def test_report_top_limits_the_rankings(data_dir):
    result, _ = run(data_dir, "example.com", top=1)
    assert [r["referring_domain"] for r in result["referring_domains"]] == ["blog.net"]
    assert len(result["anchors"]) == len(result["pages"]) == 1
    assert result["totals"]["backlinks"] == 9


def test_report_on_a_subdomain_or_url_covers_the_registered_domain(data_dir):
    result, text = run(data_dir, "HTTPS://WWW.Example.com:443/pricing?x=1", mode="domain")
    assert (result["host"], result["domain"], result["mode"]) == ("www.example.com", "example.com", "domain")
    assert result["totals"]["backlinks"] == 9
    assert "www.example.com is a host of example.com" in text
    result, text = run(data_dir, "www.example.com")  # a bare host: its domain
    assert result["mode"] == "domain" and result["totals"]["backlinks"] == 9


def test_report_on_an_unknown_domain_prints_a_message(data_dir):
    result, text = run(data_dir, "nowhere.example.org")
    assert result["totals"] == {"backlinks": 0}
    assert result["referring_domains"] == result["anchors"] == result["pages"] == []
    assert "No backlinks to example.org" in text
    assert "Top anchors" not in text


def test_report_domain_reaches_sql_as_a_value(data_dir):
    result, _ = run(data_dir, "x'or'1'='1'--.example.com")  # a quote is valid in a host
    assert result["domain"] == "example.com"
    assert result["totals"]["backlinks"] == 9
    result, _ = run(data_dir, "example.com'or'1'='1")
    assert result["totals"] == {"backlinks": 0}


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("example.com", ("example.com", "example.com")),
        (" Example.COM. ", ("example.com", "example.com")),
        ("blog.example.co.uk/path", ("blog.example.co.uk", "example.co.uk")),
        ("Bücher.de", ("xn--bcher-kva.de", "xn--bcher-kva.de")),
        ("http://192.168.0.1:8080/", ("192.168.0.1", "192.168.0.1")),
    ],
)
def test_normalize_domain(typed, expected):
    assert normalize_domain(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://example.com/", "http://"])
def test_normalize_domain_rejects_what_is_not_a_web_host(typed):
    with pytest.raises(IndexBuildError, match="not a domain name"):
        normalize_domain(typed)


def test_report_needs_a_built_index(tmp_path):
    with pytest.raises(IndexBuildError, match="then `linkindex build"):
        report(tmp_path, "example.com", console=Console(record=True))


def test_text_from_pages_cannot_drive_the_terminal():
    from linkindex.display import display_text

    hostile = "Click\x1b]52;c;ZXZpbA==\x07 here\x1b[31m!\x9b2J"
    assert display_text(hostile) == "Click]52;c;ZXZpbA== here[31m!2J"
    assert "\x1b" not in display_text(hostile) and "\x07" not in display_text(hostile)
    assert display_text("x" * 1000, 200) == "x" * 199 + "…"
