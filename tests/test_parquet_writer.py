from dataclasses import fields
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest

from linkindex.schema import (
    LINK_PAGE_FIELDS,
    LINKS_SCHEMA,
    PAGES_SCHEMA,
    SCHEMA_VERSION,
    LinkRecord,
    PageRow,
    PageSource,
)
from pipelines.parquet import OutputError, RecordWriter, safe_name

FETCHED = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
SRC = PageSource("http://a.example.com/", "a.example.com", "example.com", "com.example.a")


def link(dst_url, position, internal=False):
    host = dst_url.split("/")[2]
    return LinkRecord(dst_url, host, host, host, "text", "", False, False, False, internal, "anchor", "main", position)


def page(url="http://a.example.com/", links_out=2):
    return PageRow(fetched_at=FETCHED, url=url, final_url=url, status=200, links_out=links_out)


def test_flush_writes_one_complete_part_per_table_with_schema_and_version(tmp_path):
    writer = RecordWriter(tmp_path, "crawl-1", key="w1")
    writer.add(page(), [link("http://b.org/", 0), link("http://a.example.com/x", 1, True)], SRC)
    writer.add(page("http://a.example.com/empty", 0), [], SRC)
    files = writer.close()

    assert sorted(p.relative_to(tmp_path).as_posix() for p in files) == [
        "links/crawl_id=crawl-1/part-w1-00000.parquet",
        "pages/crawl_id=crawl-1/part-w1-00000.parquet",
    ]
    links = pq.read_table(tmp_path / "links/crawl_id=crawl-1/part-w1-00000.parquet")
    pages = pq.read_table(tmp_path / "pages/crawl_id=crawl-1/part-w1-00000.parquet")
    assert links.schema.equals(LINKS_SCHEMA, check_metadata=False)
    assert pages.schema.equals(PAGES_SCHEMA, check_metadata=False)
    assert links.schema.metadata[b"linkindex.schema_version"] == SCHEMA_VERSION.encode()
    assert pages.schema.metadata[b"linkindex.table"] == b"pages"
    rows = links.to_pylist()
    assert [r["dst_url"] for r in rows] == ["http://b.org/", "http://a.example.com/x"]
    assert {r["src_url"] for r in rows} == {SRC.url}
    assert {r["crawl_id"] for r in rows} == {"crawl-1"}
    assert [r["internal"] for r in rows] == [False, True]
    assert rows[0]["fetched_at"] == FETCHED
    assert [r["url"] for r in pages.to_pylist()] == ["http://a.example.com/", "http://a.example.com/empty"]
    assert writer.rows_written == {"links": 2, "pages": 2}


def test_flushes_when_the_batch_is_full_and_never_splits_a_page(tmp_path):
    writer = RecordWriter(tmp_path, "c", key="w", max_rows=3)
    for i in range(4):
        url = f"http://a.example.com/{i}"
        writer.add(page(url), [link("http://b.org/", 0), link("http://c.org/", 1)], SRC._replace(url=url))
    writer.close()
    parts = sorted((tmp_path / "links/crawl_id=c").glob("part-*.parquet"))
    # 2 pages (4 links) reach the limit of 3, twice.
    assert [pq.read_metadata(p).num_rows for p in parts] == [4, 4]
    for part in parts:
        urls = pq.read_table(part).column("src_url").to_pylist()
        pages = pq.read_table(tmp_path / "pages/crawl_id=c" / part.name).column("url").to_pylist()
        assert set(urls) == set(pages)


def test_no_temporary_files_are_left_and_empty_flush_writes_nothing(tmp_path):
    writer = RecordWriter(tmp_path, "c", key="w")
    assert writer.flush() == []
    writer.add(page(), [link("http://b.org/", 0)], SRC)
    writer.close()
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("part-")]
    assert leftovers == []


def test_remove_parts_takes_earlier_runs_of_its_base_key_only(tmp_path):
    for key in ("file-a.run1", "file-a-2.run1", "file-a.run2"):
        writer = RecordWriter(tmp_path, "c", key=key)
        writer.add(page(), [link("http://b.org/", 0)], SRC)
        writer.close()
    current = RecordWriter(tmp_path, "c", key="file-a.run2")
    assert current.remove_parts("file-a") == 2  # run1's links and pages parts
    remaining = sorted(p.name for p in tmp_path.rglob("part-*.parquet"))
    assert remaining == ["part-file-a-2.run1-00000.parquet"] * 2 + ["part-file-a.run2-00000.parquet"] * 2
    assert current.remove_parts("file-a.run2", keep_own=False) == 2


def test_unwritable_output_is_a_clear_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    with pytest.raises(OutputError, match="check --data"):
        RecordWriter(blocker, "c", key="w")


def test_partition_names_are_safe():
    assert safe_name("2026/11 crawl:1") == "2026-11-crawl-1"
    assert safe_name("../..") == "default"


def test_the_record_types_are_the_columns_of_their_schemas():
    # Every links column comes from exactly one place: the page or the link.
    assert sorted(LINK_PAGE_FIELDS + LinkRecord._fields) == sorted(LINKS_SCHEMA.names)
    assert not set(LINK_PAGE_FIELDS) & set(LinkRecord._fields)
    assert ["crawl_id", *(f.name for f in fields(PageRow))] == PAGES_SCHEMA.names
    # The link's own columns in the schema's order, so a reader of either sees the same table.
    assert [n for n in LINKS_SCHEMA.names if n in LinkRecord._fields] == list(LinkRecord._fields)


def test_every_field_of_a_record_lands_in_its_own_column(tmp_path):
    # Values all distinct, so a column filled from the wrong field shows.
    record = LinkRecord(
        "http://b.org/x", "b.org", "b-domain.org", "org.b", "anchor words", "nofollow ugc",
        True, True, False, False, "image", "footer", 7,
    )
    source = PageSource("http://a.example.com/p", "a.example.com", "example.com", "com.example.a")
    row = PageRow(
        fetched_at=FETCHED, url="http://a.example.com/p", final_url="http://a.example.com/q", status=203,
        content_type="text/html", charset="cp1252", title="T", content_length=99, links_out=1,
        page_nofollow=True, warc_file="f.warc.gz", warc_offset=12, error="too_large", noindex=True,
        ip_address="192.0.2.1",
    )
    writer = RecordWriter(tmp_path, "c", key="w")
    writer.add(row, [record], source)
    writer.close()
    [written] = pq.read_table(tmp_path / "links/crawl_id=c/part-w-00000.parquet").to_pylist()
    assert written == {
        **record._asdict(),
        "crawl_id": "c",
        "fetched_at": FETCHED,
        "src_url": source.url,
        "src_host": source.host,
        "src_domain": source.domain,
        "src_surt_host": source.surt_host,
        "page_nofollow": True,
    }
    [page_row] = pq.read_table(tmp_path / "pages/crawl_id=c/part-w-00000.parquet").to_pylist()
    assert page_row == {"crawl_id": "c", **{f.name: getattr(row, f.name) for f in fields(PageRow)}}
