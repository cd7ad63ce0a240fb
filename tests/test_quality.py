"""The link-quality rules as data: anchor classes, generic phrases, thresholds, networks, the risk rule."""

from importlib import resources

import duckdb
import pytest

from linkindex.quality import (
    REFERRING_DOMAIN_FLAGS,
    RISK_LEVELS,
    RISK_RULES,
    SettingError,
    create_reference_tables,
    generic_anchor_phrases,
    network_of,
    quality_settings,
)


def macro(name: str) -> str:
    return resources.files("queries").joinpath("macros", f"{name}.sql").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute(macro("anchor_words"))
    create_reference_tables(con)
    con.execute(macro("anchor_class"))
    yield con
    con.close()


@pytest.mark.parametrize(
    "anchor, kind, target, expected",
    [
        ("Example logo", "image", "example.com", "image"),  # an image link, whatever its alt
        ("", "image", "example.com", "image"),
        ("", "anchor", "example.com", "empty"),
        (" → ", "area", "example.com", "empty"),
        ("https://other.org/page", "anchor", "example.com", "naked_url"),
        ("www.example.com", "anchor", "example.com", "naked_url"),
        ("Example.com/pricing", "anchor", "example.com", "naked_url"),
        ("shop.example.com", "anchor", "example.com", "naked_url"),
        ("Node.js", "anchor", "example.com", "keyword"),  # a host form, but not of the target
        ("Example", "anchor", "example.com", "branded"),
        ("My Shop reviews", "anchor", "my-shop.co.uk", "branded"),  # hyphen read as a space
        ("MyShop", "anchor", "my-shop.co.uk", "branded"),  # hyphen removed
        ("MY-SHOP", "anchor", "my-shop.co.uk", "branded"),
        ("Alice's blog", "anchor", "alice.blogspot.com", "branded"),  # a private suffix: alice is the label
        ("start here", "anchor", "art.com", "keyword"),  # whole words only: "start" is not "art"
        ("Example", "anchor", "93.184.216.34", "keyword"),  # an IP has no brand
        ("Click here!", "anchor", "example.com", "generic"),
        ("» Read more…", "anchor", "example.com", "generic"),
        ("Lire la suite", "anchor", "example.fr", "generic"),
        ("Klicken Sie hier", "anchor", "example.de", "generic"),
        ("leer más", "anchor", "example.es", "generic"),
        ("cheap running shoes", "anchor", "my-shop.co.uk", "keyword"),
        ("", "canonical", "example.com", None),
        ("", "redirect", "example.com", None),
    ],
)
def test_anchor_class(con, anchor, kind, target, expected):
    assert con.execute("select anchor_class($1, $2, $3)", [anchor, kind, target]).fetchall() == [(expected,)]


def test_generic_phrases_are_read_from_the_data_file(con):
    phrases = generic_anchor_phrases()
    assert "click here" in phrases and "weiterlesen" in phrases and "czytaj więcej" in phrases
    assert not any(p.startswith("#") for p in phrases)
    count = con.execute("select count(*) from generic_anchors").fetchall()[0][0]
    assert (
        count
        == con.execute("select count(distinct anchor_words(p)) from unnest($1) as t(p)", [phrases]).fetchall()[0][0]
    )


def test_settings_default_and_override():
    assert quality_settings() == {
        "sitewide_min_share": 0.5,
        "sitewide_min_pages": 10,
        "outbound_heavy_min_domains": 100.0,
        "same_network_min_domains": 3,
        "low_authority_below": 5.0,
        "keyword_anchor_max_share": 0.3,
    }
    assert quality_settings({"LINK_QUALITY_SITEWIDE_MIN_PAGES": "20"})["sitewide_min_pages"] == 20
    with pytest.raises(SettingError, match="LINK_QUALITY_SITEWIDE_MIN_SHARE=1.5: must be 0.0..1.0"):
        quality_settings({"LINK_QUALITY_SITEWIDE_MIN_SHARE": "1.5"})
    with pytest.raises(SettingError, match="LINK_QUALITY_SITEWIDE_MIN_PAGES=many: not a whole number"):
        quality_settings({"LINK_QUALITY_SITEWIDE_MIN_PAGES": "many"})
    with pytest.raises(SettingError, match="unknown setting.*LINK_QUALITY_TYPO"):
        quality_settings({"LINK_QUALITY_TYPO": "1"})


def test_settings_table_is_one_row(con):
    assert con.execute("select sitewide_min_pages, keyword_anchor_max_share from link_quality_settings").fetchall() == [
        (10, 0.3)
    ]


@pytest.mark.parametrize(
    "address, network",
    [
        ("93.184.216.34", "93.184.216.0/24"),
        ("2606:2800:220:1:248:1893:25c8:1946", "2606:2800:220::/48"),
        ("::ffff:93.184.216.34", "93.184.216.0/24"),
        ("[2606:2800:220:1::1]", "2606:2800:220::/48"),
        ("127.0.0.1", None),  # loopback: a local proxy's address
        ("10.1.2.3", None),
        ("192.168.1.20", None),
        ("not an address", None),
        (None, None),
    ],
)
def test_network_of(address, network):
    assert network_of(address) == network


def test_risk_rules_name_known_flags_and_levels(con):
    for rule in RISK_RULES:
        assert rule.risk in RISK_LEVELS
        assert set(rule.flags) <= set(REFERRING_DOMAIN_FLAGS)
        assert rule.min_flags >= max(1, len(rule.flags))
    assert RISK_RULES[-1].min_flags == 1  # every flagged pair gets a risk
    assert con.execute("select priority, risk, flags, min_flags from risk_rules order by priority").fetchall() == [
        (number, rule.risk, list(rule.flags), rule.min_flags) for number, rule in enumerate(RISK_RULES, start=1)
    ]
