"""The index build, every table query, and ``query()`` in each output format.

The sample crawl and its hand-counted backlinks are described in helpers.py.
"""

import csv
import io
import json
from pathlib import Path
import shutil

import duckdb
from helpers import GONE, HOME, POST, PRICING, STORY, link, page, ts, write_parquet, write_sample
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from linkindex.build import RECORD_VIEWS
from linkindex.index import TABLES, IndexBuildError, build, open_index, query, table_sql

QUERIES_DIR = Path(__file__).resolve().parents[1] / "queries"
HEADER_TYPES = {"timestamptz": "TIMESTAMP WITH TIME ZONE"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data_dir = write_sample(tmp_path_factory.mktemp("sample"))
    # A file still being written: hidden, never read, and not valid Parquet.
    (data_dir / "links" / "crawl_id=c1" / ".part-0001.parquet.tmp").write_bytes(b"half a file")
    build(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def con(data_dir):
    con = open_index(data_dir)
    yield con
    con.close()


def rows(con, sql, params=None):
    """Result rows as dicts (through Arrow: fetching time zones directly would need pytz)."""
    return con.sql(sql, params=params).to_arrow_table().to_pylist()


def header(name):
    """(key columns, [(column, type)]) as stated in the header comment of queries/<name>.sql."""
    key, columns, in_columns = None, [], False
    for line in table_sql(name).splitlines():
        if not line.startswith("--"):
            break
        text = line[2:]
        if text.startswith(" Key:"):
            key = [k.strip() for k in text.split(":", 1)[1].split(",")]
        elif text.startswith(" Columns:"):
            in_columns = True
        elif in_columns and text.startswith("   "):
            column, type_ = text.split()[:2]
            columns.append((column, HEADER_TYPES.get(type_, type_.upper())))
        else:
            in_columns = False
    return key, columns


# -- build ------------------------------------------------------------------


def test_build_counts_facts_and_tables(tmp_path):
    counts = build(write_sample(tmp_path))
    assert counts == {
        "fct_pages": 8,  # one fetch of each URL in each crawl
        "fct_backlinks": 10,  # the two records of blog.net/post -> example.com "Example" in c1 are one link
        "fct_internal_links": 3,
        "page_status": 6,
        "crawls": 2,
        # c2's fetches of POST and HOME replace c1's; the rest is c1's, the 404 without links
        "current_links": 9,  # (src_url, dst_url) pairs: spam.biz's anchor and canonical to HOME are one
        "current_backlinks": 8,
        "referring_domains": 5,
        "anchor_distribution": 6,
        "inbound_links": 9,
        "target_pages": 5,
        "link_breakdown": 14,
        "domain_summary": 3,
        "disavow_entries": 2,
        "link_changes": 3,
        "referring_domain_changes": 1,
        "domain_history": 5,
        "domain_authority": 4,
        "page_authority": 8,
        "referring_domain_flags": 5,
        "referring_domain_risk": 3,
        "domain_flags": 1,
        "broken_backlinks": 1,
    }
    with open_index(tmp_path) as con:
        views = {name: con.execute(f"select count(*) from {name}").fetchall()[0][0] for name in RECORD_VIEWS}
    assert views == {
        "links_all": 16,
        "links": 14,  # the two links of the superseded fetch of blog.net/post are gone
        "pages_all": 9,
        "pages": 8,
    }


def test_build_writes_the_index_in_one_rename_and_leaves_no_temporary_file(data_dir):
    assert (data_dir / "index.duckdb").is_file()
    assert not (data_dir / "index.duckdb.tmp").exists()
    assert not (data_dir / "index.duckdb.tmp.wal").exists()


def test_a_reader_keeps_the_old_index_while_a_rebuild_replaces_it(tmp_path):
    write_sample(tmp_path)
    build(tmp_path)
    reader = open_index(tmp_path)
    write_parquet(tmp_path, "links", [link("c3", ts(3), POST, HOME, "new")], part=1)
    write_parquet(tmp_path, "pages", [page("c3", ts(3), POST, links_out=1)], part=1)
    build(tmp_path)
    sql = "select backlinks from domain_summary where target_domain = 'example.com'"
    try:
        assert reader.execute(sql).fetchall() == [(9,)]
    finally:
        reader.close()
    with open_index(tmp_path) as fresh:
        assert fresh.execute(sql).fetchall() == [(10,)]


def test_a_failed_build_keeps_the_previous_index(tmp_path):
    write_sample(tmp_path)
    build(tmp_path)
    before = (tmp_path / "index.duckdb").read_bytes()
    (tmp_path / "links" / "crawl_id=c1" / "part-0009.parquet").write_bytes(b"not parquet")
    with pytest.raises(IndexBuildError, match="part-0009.parquet"):
        build(tmp_path)
    assert (tmp_path / "index.duckdb").read_bytes() == before
    assert not (tmp_path / "index.duckdb.tmp").exists()


def test_build_replaces_a_torn_temporary_file_left_by_a_crash(tmp_path):
    write_sample(tmp_path)
    (tmp_path / "index.duckdb.tmp").write_bytes(b"torn" * 1000)
    (tmp_path / "index.duckdb.tmp.wal").write_bytes(b"torn")
    assert build(tmp_path)["domain_summary"] == 3
    assert not (tmp_path / "index.duckdb.tmp").exists()


def test_build_says_what_to_run_when_there_are_no_records(tmp_path):
    expected = r"no link records under .*links: run `linkindex crawl SEED_URL --data .*` or `linkindex extract"
    with pytest.raises(IndexBuildError, match=expected):
        build(tmp_path)
    write_parquet(tmp_path, "links", [link("c1", ts(1), POST, HOME, "x")])
    with pytest.raises(IndexBuildError, match=r"no page records under .*pages: run `linkindex crawl"):
        build(tmp_path)
    assert not (tmp_path / "index.duckdb").exists()


def test_build_refuses_records_of_another_schema_major_version(tmp_path):
    write_sample(tmp_path)
    old = pq.read_table(tmp_path / "pages" / "crawl_id=c2" / "part-0000.parquet")
    old = old.replace_schema_metadata({b"linkindex.schema_version": b"2.0", b"linkindex.table": b"pages"})
    pq.write_table(old, tmp_path / "pages" / "crawl_id=c2" / "part-0001.parquet")
    with pytest.raises(
        IndexBuildError, match=r"crawl_id=c2/part-0001.parquet was written with record schema 2.0"
    ):
        build(tmp_path)


def test_build_is_deterministic(tmp_path, data_dir):
    for folder in ("links", "pages", "disavow"):
        shutil.copytree(data_dir / folder, tmp_path / folder)
    build(tmp_path)
    with open_index(data_dir) as first, open_index(tmp_path) as second:
        for name in TABLES:
            sql = f"select * from {name} order by all"
            assert first.sql(sql).to_arrow_table().equals(second.sql(sql).to_arrow_table()), name


def test_a_data_dir_path_with_glob_characters_is_read_literally(tmp_path):
    data_dir = write_sample(tmp_path / "crawls [2024]")
    assert build(data_dir)["fct_backlinks"] == 10
    with open_index(data_dir) as con:
        assert con.execute("select count(*) from links_all").fetchall() == [(16,)]


# -- de-duplication: one fetch per (crawl_id, url) --------------------------


def test_pages_keeps_the_latest_fetch_of_a_url_in_each_crawl(con):
    assert rows(
        con, "select crawl_id, fetched_at, title from pages where url = $1 order by crawl_id", [POST]
    ) == [
        {"crawl_id": "c1", "fetched_at": ts(1, 12), "title": "second fetch"},
        {"crawl_id": "c2", "fetched_at": ts(1, 10, month=2), "title": None},
    ]
    assert con.execute("select count(*) from pages_all where url = $1", [POST]).fetchall() == [(3,)]


def test_links_keeps_only_the_links_of_the_kept_fetch(con):
    assert con.execute("select count(*) from links_all where anchor_text = 'old'").fetchall() == [(1,)]
    assert con.execute("select count(*) from links where anchor_text = 'old'").fetchall() == [(0,)]
    fetches = rows(
        con, "select distinct crawl_id, fetched_at from links where src_url = $1 order by all", [POST]
    )
    assert fetches == [
        {"crawl_id": "c1", "fetched_at": ts(1, 12)},
        {"crawl_id": "c2", "fetched_at": ts(1, 10, month=2)},
    ]


def test_superseded_fetches_reach_no_table(con):
    # Counting the 10:00 fetch would make blog.net first seen at 10:00 and add anchor "old".
    sql = "select first_seen from referring_domains where referring_domain = 'blog.net' and target_domain = 'example.com'"
    assert rows(con, sql) == [{"first_seen": ts(1, 12)}]
    assert con.execute("select count(*) from inbound_links where anchor_text = 'old'").fetchall() == [(0,)]


def test_pages_keeps_one_of_two_fetches_at_the_same_instant(tmp_path):
    write_sample(tmp_path)
    twins = [page("c3", ts(5), POST, links_out=1, title="b"), page("c3", ts(5), POST, links_out=1, title="a")]
    write_parquet(tmp_path, "pages", twins, part=1)
    write_parquet(tmp_path, "links", [link("c3", ts(5), POST, HOME, "twin")], part=1)
    build(tmp_path)
    with open_index(tmp_path) as con:
        assert rows(con, "select title from pages where crawl_id = 'c3'") == [{"title": "a"}]
        assert con.execute("select count(*) from links where crawl_id = 'c3'").fetchall() == [(1,)]


# -- every table: grain and header ------------------------------------------


def test_every_query_file_is_a_built_table():
    assert sorted(p.stem for p in QUERIES_DIR.glob("*.sql")) == sorted(TABLES)


@pytest.mark.parametrize("name", TABLES)
def test_header_states_grain_key_and_columns(name):
    assert "\n-- Grain: " in table_sql(name)
    key, columns = header(name)
    assert key and columns
    assert set(key) <= {column for column, _ in columns}
    assert table_sql(name).rstrip().endswith("select * from final")


@pytest.mark.parametrize("name", TABLES)
def test_columns_match_the_header(con, name):
    described = con.execute(f"describe {name}").fetchall()
    assert [(row[0], row[1]) for row in described] == header(name)[1]


@pytest.mark.parametrize("name", TABLES)
def test_grain_key_is_unique_and_not_null(con, name):
    key = header(name)[0]
    any_null = " or ".join(f"{column} is null" for column in key)
    total, nulls = con.execute(f"select count(*), count(*) filter (where {any_null}) from {name}").fetchall()[
        0
    ]
    distinct = con.execute(f"select count(*) from (select distinct {', '.join(key)} from {name})").fetchall()[
        0
    ][0]
    assert total > 0
    assert distinct == total
    assert nulls == 0


# -- exact cells, counted by hand from the sample ---------------------------

EXAMPLE = {"domain": "example.com"}


def test_referring_domains(con):
    sql = """
        select referring_domain, backlinks, dofollow_backlinks, linked_pages
        from referring_domains where target_domain = $domain
        order by referring_domain
    """
    assert con.execute(sql, EXAMPLE).fetchall() == [
        ("blog.net", 5, 3, 2),
        ("news.org", 2, 1, 2),
        ("spam.biz", 2, 0, 1),
    ]
    sql = "select first_seen, last_seen from referring_domains where referring_domain = 'blog.net'"
    assert rows(con, sql) == [{"first_seen": ts(1, 12), "last_seen": ts(1, 10, month=2)}]


def test_anchor_distribution_counts_anchors_only(con):
    sql = """
        select anchor_text, backlinks, referring_domains, dofollow_backlinks, share
        from anchor_distribution where target_domain = $domain
        order by anchor_text
    """
    # No '' row: the redirect and the canonical are not anchors.
    assert con.execute(sql, EXAMPLE).fetchall() == [
        ("Example", 4, 2, 2, pytest.approx(4 / 7)),
        ("Example logo", 1, 1, 1, pytest.approx(1 / 7)),
        ("broken", 1, 1, 0, pytest.approx(1 / 7)),
        ("pricing", 1, 1, 0, pytest.approx(1 / 7)),
    ]
    sql = (
        "select min(s), max(s) from (select sum(share) as s from anchor_distribution group by target_domain)"
    )
    assert con.execute(sql).fetchall() == [pytest.approx((1.0, 1.0))]


def test_inbound_links_merges_occurrences(con):
    sql = "select * exclude (dst_domain, src_domain) from inbound_links where dst_url = $1 and src_url = $2"
    assert rows(con, sql, [HOME, POST]) == [
        {
            "dst_url": HOME,
            "src_url": POST,
            "anchor_text": "Example",
            "kind": "anchor",
            "nofollow": False,  # the c2 occurrence is nofollow, the two c1 ones are not
            "ugc": True,  # the c2 occurrence is ugc
            "sponsored": False,
            "page_nofollow": False,
            "placement": "main",  # first occurrence: c1 12:00, position 0
            "position": 0,
            "occurrences": 3,  # the duplicate on the c1 page, and the c2 fetch
            "first_seen": ts(1, 12),
            "last_seen": ts(1, 10, month=2),
            "dst_status": 200,  # 500 in c1, 200 in c2: the latest
            "disavowed": False,
        }
    ]


def test_inbound_links_flags_status_and_records_without_placement(con):
    sql = """
        select dst_url, src_url, kind, nofollow, sponsored, page_nofollow, placement, position, dst_status
        from inbound_links where dst_domain = $domain and src_url <> $post
        order by dst_url, src_url, anchor_text, kind
    """
    assert con.execute(sql, {**EXAMPLE, "post": POST}).fetchall() == [
        (HOME, STORY, "image", False, False, False, "comment", 0, 200),
        (HOME, "https://old.blog.net/", "redirect", False, False, False, None, 0, 200),
        (HOME, "https://spam.biz/copy", "canonical", True, False, True, None, 1, 200),  # '' sorts first
        (HOME, "https://spam.biz/copy", "anchor", True, False, True, "body", 0, 200),
        (GONE, STORY, "anchor", True, True, False, "aside", 1, 404),
    ]
    assert con.execute("select dst_status from inbound_links where dst_url = $1", [PRICING]).fetchall() == [
        (None,)
    ]
    assert con.execute("select count(*) from inbound_links where src_domain = dst_domain").fetchall() == [
        (0,)
    ]


def test_target_pages(con):
    sql = """
        select dst_url, backlinks, dofollow_backlinks, referring_domains, referring_pages, dst_status
        from target_pages where target_domain = $domain
        order by backlinks desc, dst_url
    """
    assert con.execute(sql, EXAMPLE).fetchall() == [
        (HOME, 7, 4, 3, 4, 200),
        (GONE, 1, 0, 1, 1, 404),
        (PRICING, 1, 0, 1, 1, None),
    ]


def test_link_breakdown_splits_every_backlink(con):
    sql = "select dimension, value, backlinks from link_breakdown where target_domain = $domain"
    by = {}
    for dimension, value, backlinks in con.execute(sql, EXAMPLE).fetchall():
        by.setdefault(dimension, {})[value] = backlinks
    assert by == {
        "kind": {"anchor": 6, "canonical": 1, "image": 1, "redirect": 1},
        "placement": {"(none)": 2, "aside": 1, "body": 1, "comment": 1, "footer": 1, "main": 3},
    }


def test_domain_summary(con):
    assert rows(con, "select * from domain_summary where target_domain = $domain", EXAMPLE) == [
        {
            "target_domain": "example.com",
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
    ]
    domains = con.execute("select target_domain from domain_summary").fetchall()
    assert domains == [("blog.net",), ("example.com",), ("news.org",)]


def test_page_status_is_the_latest_fetch_over_all_crawls(con):
    sql = "select url, crawl_id, status, crawls from page_status where url in ($1, $2, $3) order by url"
    assert con.execute(sql, [HOME, GONE, POST]).fetchall() == [
        (POST, "c2", 200, 2),
        (HOME, "c2", 200, 2),
        (GONE, "c1", 404, 1),
    ]


# -- query() ----------------------------------------------------------------

REFERRERS = """
    select referring_domain, backlinks, first_seen
    from referring_domains
    where target_domain = $1
    order by referring_domain
"""
EXPECTED = [
    ("blog.net", 5, "2024-01-01T12:00:00+00:00"),
    ("news.org", 2, "2024-01-02T09:00:00+00:00"),
    ("spam.biz", 2, "2024-01-02T12:00:00+00:00"),
]


def test_link_changes_between_the_two_sample_crawls(con):
    # c2 fetched blog.net/post again (kept fetch c1 12:00 before) and example.com/ (a 500 in c1, read then).
    sql = """
        select crawl_id, previous_crawl_id, event, reason, src_url, dst_url, anchor_text, nofollow_before,
            nofollow_after, rel_before, rel_after
        from link_changes order by src_url, dst_url
    """
    # Backlinks only: blog.net/post losing its link to blog.net/about is no event.
    assert con.execute(sql).fetchall() == [
        ("c2", "c1", "changed", "became_nofollow", POST, HOME, "Example", False, True, "", "nofollow ugc"),
        ("c2", "c1", "lost", "removed_from_page", POST, PRICING, "pricing", True, None, "nofollow", None),
        ("c2", "c1", "new", "added_to_page", HOME, "https://news.org/", "News", None, False, None, ""),
    ]
    # news.org gains example.com as a referring domain; example.com keeps blog.net (now nofollow)
    assert con.execute(
        "select target_domain, referring_domain, crawl_id, event, backlinks_before, backlinks_after "
        "from referring_domain_changes"
    ).fetchall() == [("news.org", "example.com", "c2", "new", 0, 1)]


def test_disavowed_backlinks_and_referring_domains(con):
    # The sample's disavow file for example.com: domain:spam.biz and the page news.org/story.
    sql = "select src_url, anchor_text from inbound_links where disavowed order by all"
    assert con.execute(sql).fetchall() == [
        (STORY, "Example logo"),
        (STORY, "broken"),
        ("https://spam.biz/copy", ""),
        ("https://spam.biz/copy", "Example"),
    ]
    sql = "select target_domain, referring_domain from referring_domains where disavowed order by all"
    assert con.execute(sql).fetchall() == [("example.com", "news.org"), ("example.com", "spam.biz")]
    assert con.execute("select * from disavow_entries order by line").fetchall() == [
        ("example.com", "domain", "spam.biz", "spam.biz", 2),
        ("example.com", "url", STORY, "news.org", 3),
    ]


def test_anchor_classes(con):
    sql = "select target_domain, anchor_text, anchor_class from anchor_distribution order by all"
    assert con.execute(sql).fetchall() == [
        ("blog.net", "travel stories", "keyword"),
        ("example.com", "Example", "branded"),
        ("example.com", "Example logo", "image"),
        ("example.com", "broken", "keyword"),
        ("example.com", "pricing", "keyword"),
        ("news.org", "News", "branded"),
    ]


def test_query_csv_to_stdout(data_dir, capsys):
    assert query(data_dir, REFERRERS, ["example.com"], fmt="csv") == 3
    got = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert got == [["referring_domain", "backlinks", "first_seen"]] + [[d, str(n), t] for d, n, t in EXPECTED]


def test_query_json_lines_to_a_file(data_dir, tmp_path):
    out = tmp_path / "out.json"
    assert query(data_dir, REFERRERS, ["example.com"], fmt="json", output=out) == 3
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert got == [{"referring_domain": d, "backlinks": n, "first_seen": t} for d, n, t in EXPECTED]
    assert not (tmp_path / "out.json.tmp").exists()


def test_query_parquet_keeps_types(data_dir, tmp_path):
    out = tmp_path / "out.parquet"
    assert query(data_dir, REFERRERS, ["example.com"], fmt="parquet", output=out) == 3
    table = pq.read_table(out)
    assert table.column_names == ["referring_domain", "backlinks", "first_seen"]
    assert table.schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    assert table.column("backlinks").to_pylist() == [5, 2, 2]
    assert table.column("first_seen").to_pylist()[0] == ts(1, 12)


def test_query_parquet_needs_an_output_file(data_dir):
    with pytest.raises(IndexBuildError, match="--output"):
        query(data_dir, "select 1", fmt="parquet")


def test_query_table_shows_the_first_rows_and_counts_all(data_dir):
    console = Console(record=True, width=200)
    sql = "select * from referring_domains order by all"
    assert query(data_dir, sql, console=console, max_rows=2, whole=False) == 5
    text = console.export_text()
    assert "referring_domain" in text and "blog.net" in text
    assert "first 2 of 5 rows" in text
    assert "spam.biz" not in text


def test_query_text_is_escaped_in_every_format(data_dir, tmp_path, capsys):
    sql = """select 'a,"b"' || chr(10) || 'c' as text, null::varchar as nothing, true as yes, [1, 2] as list, 'x' as text"""
    query(data_dir, sql, fmt="csv")
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [
        ["text", "nothing", "yes", "list", "text"],
        ['a,"b"\nc', "", "true", "[1, 2]", "x"],
    ]
    query(data_dir, sql, fmt="json")
    assert json.loads(capsys.readouterr().out) == {
        "text": 'a,"b"\nc',
        "nothing": None,
        "yes": True,
        "list": [1, 2],
        "text_1": "x",
    }
    console = Console(record=True, width=200)
    query(data_dir, "select '[bold]not markup[/]' as s", console=console)
    assert "[bold]not markup[/]" in console.export_text()


def test_query_binds_parameters(data_dir, capsys):
    query(
        data_dir,
        "select count(*) as n from inbound_links where anchor_text = $1",
        ["'; drop table links; --"],
        fmt="csv",
    )
    assert capsys.readouterr().out == "n\n0\n"


def test_query_is_read_only(data_dir):
    with pytest.raises(duckdb.Error, match="read-only"):
        query(data_dir, "drop table domain_summary", fmt="csv")


def test_query_says_how_to_build_a_missing_index(tmp_path):
    # Records and no index: build. No records either: the whole way, at once.
    write_sample(tmp_path / "records")
    with pytest.raises(IndexBuildError, match="no index at .*: run `linkindex build --data .*records` first"):
        query(tmp_path / "records", "select 1")
    with pytest.raises(IndexBuildError, match="no records to build it from: run `linkindex crawl .*, then `linkindex build"):
        query(tmp_path, "select 1")
    with pytest.raises(IndexBuildError, match="no data directory .*missing: make its index with `linkindex crawl"):
        query(tmp_path / "missing", "select 1")


def test_views_read_the_records_through_the_index(con):
    assert con.execute("select count(*) from links where not internal").fetchall() == [(11,)]


def test_the_tables_doc_covers_every_table_and_its_examples_run(con):
    doc = (QUERIES_DIR.parent / "docs" / "tables.md").read_text()
    sections = doc.split("\n### `")[1:]
    documented = [section.split("`", 1)[0] for section in sections]
    assert sorted(documented) == sorted(TABLES)
    for name, section in zip(documented, sections):
        section = section.split("\n## ", 1)[0]
        assert section.count("```sql\n") == 1, f"{name}: one example query"
    # Every example runs, those of the macros too.
    examples = [block.split("```", 1)[0] for block in doc.split("```sql\n")[1:]]
    assert len(examples) > len(TABLES)
    for sql in examples:
        con.sql(sql).to_arrow_table()
