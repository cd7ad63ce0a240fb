"""Link quality, explained: the named flags, the risk rule, the anchor word list and the flag thresholds.

No opaque score: each signal is a flag with a one-line reason a person can
check (``referring_domain_flags``, ``domain_flags``), and ``risk`` comes from
the flags by the rule below, which is data in this one place. The build
writes these as reference tables of the index, which the table queries read:

``link_quality_settings``
    one row: the flag thresholds used (defaults in ``crawler/defaults.py``,
    ``LINK_QUALITY_*``; ``linkindex build -s NAME=VALUE`` overrides them).
``risk_rules``
    the risk rule, one row per clause, tried in ``priority`` order.
``generic_anchors``
    the generic anchor phrases of ``linkindex/data/generic_anchors.txt``.

Every flag is a heuristic: a pattern that link schemes show and that honest
links can show too. They say where to look, not what to do.
"""

from dataclasses import dataclass
from importlib import resources
import ipaddress

from crawler import defaults

#: Flags on a (target domain, referring domain) pair: name -> what it means.
REFERRING_DOMAIN_FLAGS = {
    "sitewide": "links to the target from most of the referring domain's pages (footer or template links)",
    "boilerplate_only": "every backlink sits in nav, header, footer or aside; none in the main content or text",
    "reciprocal": "the target links back to the referring domain with a followed link (a link exchange)",
    "paid_or_ugc_only": "every backlink is marked sponsored or ugc",
    "outbound_heavy": "the linking pages link out to very many domains (a link farm or directory)",
    "same_network": "the referring domain's server shares a network with the target or with other referring domains",
    "low_authority": "the referring domain has little authority",
}
#: Flags on a target domain.
DOMAIN_FLAGS = {
    "anchor_over_optimised": "keyword anchors are a large share of the target's followed anchors",
}
#: Risk levels, lowest first.
RISK_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class RiskRule:
    """One clause of the risk rule: ``risk`` when every flag in ``flags`` is raised and at least ``min_flags`` are."""

    risk: str
    flags: tuple[str, ...]
    min_flags: int
    why: str


#: The risk of a (target, referring domain) with at least one flag: the first
#: clause that matches, in this order. A pair without flags has no risk row.
RISK_RULES = (
    RiskRule(
        "low",
        ("paid_or_ugc_only",),
        1,
        "every link is marked sponsored or ugc, as Google asks: it passes no rank, so there is nothing to disavow",
    ),
    RiskRule(
        "high",
        ("same_network",),
        2,
        "hosted beside the target or other referring domains, with another signal: the shape of a link network",
    ),
    RiskRule(
        "high",
        ("outbound_heavy", "low_authority"),
        2,
        "a weak site linking out to very many domains: the shape of a link farm or low-quality directory",
    ),
    RiskRule(
        "high",
        ("sitewide", "boilerplate_only", "low_authority"),
        3,
        "a weak site linking from the template of most of its pages: widely distributed footer or template links",
    ),
    RiskRule("medium", (), 2, "two or more signals"),
    RiskRule("low", (), 1, "one signal"),
)


@dataclass(frozen=True)
class Threshold:
    setting: str  # the LINK_QUALITY_* name
    column: str  # its column in link_quality_settings
    kind: type
    minimum: float
    maximum: float | None


THRESHOLDS = (
    Threshold("LINK_QUALITY_SITEWIDE_MIN_SHARE", "sitewide_min_share", float, 0.0, 1.0),
    Threshold("LINK_QUALITY_SITEWIDE_MIN_PAGES", "sitewide_min_pages", int, 1, None),
    Threshold("LINK_QUALITY_OUTBOUND_HEAVY_MIN_DOMAINS", "outbound_heavy_min_domains", float, 1, None),
    Threshold("LINK_QUALITY_SAME_NETWORK_MIN_DOMAINS", "same_network_min_domains", int, 1, None),
    Threshold("LINK_QUALITY_LOW_AUTHORITY_BELOW", "low_authority_below", float, 0.0, 100.0),
    Threshold("LINK_QUALITY_KEYWORD_ANCHOR_MAX_SHARE", "keyword_anchor_max_share", float, 0.0, 1.0),
)


class SettingError(ValueError):
    """A -s NAME=VALUE the build does not take; the message says which are taken."""


def quality_settings(overrides: dict[str, str] | None = None) -> dict[str, float | int]:
    """The thresholds: defaults from ``crawler.defaults``, replaced by ``overrides`` (setting name -> text)."""
    overrides = dict(overrides or {})
    values = {}
    for threshold in THRESHOLDS:
        value = getattr(defaults, threshold.setting)
        if threshold.setting in overrides:
            text = overrides.pop(threshold.setting)
            try:
                value = threshold.kind(text)
            except ValueError:
                what = "a whole number" if threshold.kind is int else "a number"
                raise SettingError(f"{threshold.setting}={text}: not {what}") from None
            if value < threshold.minimum or (threshold.maximum is not None and value > threshold.maximum):
                bounds = (
                    f"{threshold.minimum}..{threshold.maximum}"
                    if threshold.maximum is not None
                    else f">= {threshold.minimum}"
                )
                raise SettingError(f"{threshold.setting}={text}: must be {bounds}")
        values[threshold.column] = value
    if overrides:
        names = ", ".join(t.setting for t in THRESHOLDS)
        raise SettingError(f"unknown setting(s) {', '.join(sorted(overrides))}: the build takes {names}")
    return values


def generic_anchor_phrases() -> list[str]:
    """The phrases of ``linkindex/data/generic_anchors.txt``, as written (comments and blank lines left out)."""
    text = resources.files("linkindex").joinpath("data", "generic_anchors.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _table(con, name: str, columns: dict, types: dict, temp: bool = False) -> None:
    import pyarrow as pa

    data = pa.table({column: pa.array(values, types[column]) for column, values in columns.items()})
    con.register(f"_{name}_arrow", data)
    try:
        con.execute(f"create or replace {'temp ' if temp else ''}table {name} as select * from _{name}_arrow")
    finally:
        con.unregister(f"_{name}_arrow")


def reference_tables(overrides: dict[str, str] | None = None) -> dict:
    """The reference tables as Arrow tables: ``link_quality_settings``, ``risk_rules``, and the generic
    phrases as written (``_generic_anchor_phrases``, column ``phrase``), which ``GENERIC_ANCHORS_SQL``
    normalises into ``generic_anchors``."""
    import pyarrow as pa

    settings = quality_settings(overrides)
    int_or_float = {t.column: pa.int64() if t.kind is int else pa.float64() for t in THRESHOLDS}
    rules = {
        "priority": (list(range(1, len(RISK_RULES) + 1)), pa.int32()),
        "risk": ([rule.risk for rule in RISK_RULES], pa.string()),
        "flags": ([list(rule.flags) for rule in RISK_RULES], pa.list_(pa.string())),
        "min_flags": ([rule.min_flags for rule in RISK_RULES], pa.int32()),
        "why": ([rule.why for rule in RISK_RULES], pa.string()),
    }
    return {
        "link_quality_settings": pa.table(
            {name: pa.array([value], int_or_float[name]) for name, value in settings.items()}
        ),
        "risk_rules": pa.table({name: pa.array(values, type_) for name, (values, type_) in rules.items()}),
        "_generic_anchor_phrases": pa.table({"phrase": pa.array(generic_anchor_phrases(), pa.string())}),
    }


#: The generic phrases normalised by the same macro that normalises anchors (queries/macros/anchor_words.sql).
GENERIC_ANCHORS_SQL = "select distinct anchor_words(phrase) as words from _generic_anchor_phrases order by words"


def create_reference_tables(con, overrides: dict[str, str] | None = None) -> None:
    """Write ``link_quality_settings``, ``risk_rules`` and ``generic_anchors`` on ``con``."""
    for name, table in reference_tables(overrides).items():
        con.register(f"_{name}_arrow", table)
        try:
            kind = "temp table" if name.startswith("_") else "table"
            con.execute(f"create or replace {kind} {name} as select * from _{name}_arrow")
        finally:
            con.unregister(f"_{name}_arrow")
    con.execute(f"create or replace table generic_anchors as {GENERIC_ANCHORS_SQL}")
    con.execute("drop table _generic_anchor_phrases")


def network_of(address: str | None) -> str | None:
    """The network a server address is counted in: its IPv4 /24 or IPv6 /48; None if not a global address.

    Loopback, private, link-local and documentation addresses are not
    counted: a crawl through a local proxy records the proxy's address for
    every site, which says nothing about where the sites are hosted.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def load_server_networks(con, addresses_sql: str, table: str = "_server_networks") -> int:
    """Write the temporary table ``table`` (domain, network) from ``addresses_sql`` (domain, ip_address).

    One row per distinct (domain, network); addresses that are not global are left out.
    """
    import pyarrow as pa

    rows = con.execute(
        f"select distinct domain, ip_address from ({addresses_sql}) where ip_address is not null"
    ).fetchall()
    pairs = sorted({(domain, network) for domain, address in rows if (network := network_of(address)) is not None})
    _table(
        con,
        table,
        {"domain": [d for d, _ in pairs], "network": [n for _, n in pairs]},
        {"domain": pa.string(), "network": pa.string()},
        temp=True,
    )
    return len(pairs)
