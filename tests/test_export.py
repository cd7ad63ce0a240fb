"""``linkindex export``: the index tables and the records into Parquet datasets (local and S3) and into PostgreSQL.

A real index is built from the sample records; a real PostgreSQL server runs
for the session (``postgres_server``), each test in a schema of its own; a
real S3 server (moto's) runs on loopback for the object-store export. Every
table read back is compared row for row with DuckDB's.
"""

import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from sites import ROOT, command_env

from linkindex.cli import main
from linkindex.dataset import STAGING, ParquetDataset
from linkindex.export import (
    RECORDS,
    ExportColumn,
    ExportTable,
    Meter,
    Part,
    TableResult,
    export_table,
    index_table,
    metered,
    table_from_model,
)
from linkindex.index import TABLES, build, connect, open_index
from linkindex.models import model, parse_header
from linkindex.schema import SCHEMAS, TIMESTAMP
from tests.helpers import GONE, link, page, ts, write_parquet, write_sample

dbapi = pytest.importorskip("adbc_driver_postgresql.dbapi", reason="ADBC's PostgreSQL driver (linkindex[postgresql])")


# -- fixtures and helpers ------------------------------------------------------------


def third_crawl() -> tuple[list[dict], list[dict]]:
    """Crawl c3: new backlinks to example.com and a page of a new domain, so every table changes."""
    when = ts(1, 9, month=3)
    links = [
        link("c3", when, "https://forum.io/t/1", "https://example.com/", "Example forum", placement="main"),
        link("c3", when, "https://forum.io/t/1", "https://example.com/docs", "docs", rel="ugc", position=1),
        link("c3", when, "https://forum.io/t/1", "https://news.org/", "News", kind="anchor", position=2),
    ]
    pages = [page("c3", when, "https://forum.io/t/1", 200, links_out=3, title="forum")]
    return links, pages


@pytest.fixture(scope="module")
def index_a(tmp_path_factory) -> Path:
    """The sample crawl (c1, c2), built."""
    data = write_sample(tmp_path_factory.mktemp("index-a"))
    build(data)
    return data


@pytest.fixture(scope="module")
def index_b(tmp_path_factory) -> Path:
    """The sample crawl plus c3, built: every table differs from ``index_a``'s.

    c3 also links to the page of example.com that is gone (a broken backlink), and example.com's disavow file
    has one more entry."""
    data = write_sample(tmp_path_factory.mktemp("index-b"))
    links, pages = third_crawl()
    links.append(link("c3", links[0]["fetched_at"], "https://forum.io/t/1", GONE, "old docs", position=3))
    pages[0]["links_out"] = len(links)
    write_parquet(data, "links", links)
    write_parquet(data, "pages", pages)
    with open(data / "disavow" / "example.com.txt", "a") as disavow:
        disavow.write("domain:forum.io\n")
    build(data)
    return data


def _sort_key(row: tuple):
    return tuple((value is None, value if value is not None else 0) for value in row)


def rows_of(table: pa.Table, columns: list[str]) -> list[tuple]:
    """The rows of an Arrow table as sorted tuples of Python values, in ``columns`` order."""
    values = [table.column(name).to_pylist() for name in columns]
    return sorted(zip(*values), key=_sort_key)


def duckdb_rows(data: Path, name: str) -> list[tuple]:
    con = open_index(data)
    try:
        columns = list(model(name).column_names)
        return rows_of(con.sql(f"select * from {name}").to_arrow_table(), columns)
    finally:
        con.close()


def record_rows(data: Path, name: str) -> list[tuple]:
    dataset = ds.dataset(data / name, format="parquet", schema=SCHEMAS[name], partitioning=None)
    return rows_of(dataset.to_table(), SCHEMAS[name].names)


def columns_of(name: str) -> list[str]:
    return SCHEMAS[name].names if name in RECORDS else list(model(name).column_names)


_connections: dict = {}


def pg_query(server, sql: str, parameters=None) -> pa.Table:
    """The result of ``sql`` on the server, on one connection kept for the module (each new one costs a login)."""
    if server.url not in _connections:
        _connections[server.url] = dbapi.connect(server.url, autocommit=True)
    with _connections[server.url].cursor() as cursor:
        cursor.execute(sql, parameters=parameters)
        return cursor.fetch_arrow_table()


@pytest.fixture(scope="module", autouse=True)
def _close_connections():
    yield
    for connection in _connections.values():
        connection.close()
    _connections.clear()


def pg_rows(server, schema: str, name: str) -> list[tuple]:
    return rows_of(pg_query(server, f'select * from "{schema}"."{name}"'), columns_of(name))


def staging_tables(server, schema: str) -> list[str]:
    found = pg_query(
        server, "select tablename from pg_tables where schemaname = $1 and tablename like '_linkindex%'", (schema,)
    )
    return found.column("tablename").to_pylist()


def export(*args) -> int:
    return main(["export", "--no-progress", *map(str, args)])


# -- PostgreSQL ------------------------------------------------------------------------


def test_postgres_export_equals_duckdb_and_a_rerun_does_not_double(postgres_server, index_a):
    url = postgres_server.url
    assert export("--data", index_a, "--to", url, "--schema", "full", "--records") == 0
    for _ in range(2):  # the second pass after a re-run: replaced, not doubled
        for name in TABLES:
            expected = duckdb_rows(index_a, name)
            assert expected, f"the sample has rows in {name}"
            assert pg_rows(postgres_server, "full", name) == expected, name
        for name in RECORDS:
            assert pg_rows(postgres_server, "full", name) == record_rows(index_a, name), name
        assert staging_tables(postgres_server, "full") == []
        assert export("--data", index_a, "--to", url, "--schema", "full", "--records") == 0

    # Types, key and lookup indexes as the headers state.
    for name in TABLES:
        described = index_table(name)
        types = pg_query(
            postgres_server,
            "select attname, format_type(atttypid, atttypmod) as type from pg_attribute "
            "where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum",
            (f"full.{name}",),
        ).to_pylist()
        expected_types = [
            (c.name, c.postgres.replace("timestamptz", "timestamp with time zone")) for c in described.columns
        ]
        assert [(t["attname"], t["type"]) for t in types] == expected_types
        key = pg_query(
            postgres_server,
            "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid "
            "and a.attnum = any(i.indkey) where i.indrelid = $1::regclass and i.indisprimary",
            (f"full.{name}",),
        ).column("attname").to_pylist()
        assert sorted(key) == sorted(described.key)
        indexes = pg_query(postgres_server, "select indexname from pg_indexes where schemaname = 'full' "
                           "and tablename = $1", (name,)).column("indexname").to_pylist()
        assert sorted(indexes) == sorted([f"{name}_pkey"] + [f"{name}_{c}_idx" for c in described.lookups])
    assert "dst_domain" in index_table("inbound_links").lookups
    comment = pg_query(postgres_server, "select obj_description('full.inbound_links'::regclass) as c")
    assert "Grain: one row per (dst_url, src_url, anchor_text, kind)" in comment.column("c")[0].as_py()


def test_postgres_append_of_a_crawl_is_idempotent(postgres_server, index_a, tmp_path):
    # Records only: no index needed.
    data = tmp_path / "records"
    shutil.copytree(index_a / "links", data / "links")
    shutil.copytree(index_a / "pages", data / "pages")
    url = postgres_server.url

    def counts() -> dict:
        table = pg_query(postgres_server, "select crawl_id, count(*) as n from append.links group by 1 order by 1")
        return dict(zip(table.column("crawl_id").to_pylist(), table.column("n").to_pylist()))

    assert export("--data", data, "--to", url, "--schema", "append", "--tables", "links,pages") == 0
    assert counts() == {"c1": 13, "c2": 3}
    links, pages = third_crawl()
    write_parquet(data, "links", links)
    write_parquet(data, "pages", pages)
    for _ in range(2):
        args = ["--data", data, "--to", url, "--schema", "append", "--records", "--tables", "links,pages"]
        assert export(*args, "--mode", "append", "--crawl-id", "c3") == 0
        assert counts() == {"c1": 13, "c2": 3, "c3": 3}
    assert pg_rows(postgres_server, "append", "links") == record_rows(data, "links")
    assert pg_rows(postgres_server, "append", "pages") == record_rows(data, "pages")

    # c2 extracted again with one more link: appending c2 replaces it; the other crawls stay.
    write_parquet(data, "links", [link("c2", ts(3, month=2), "https://a.org/", "https://example.com/")], part=1)
    assert export("--data", data, "--to", url, "--schema", "append", "--tables", "links", "--mode", "append") == 0
    assert counts() == {"c1": 13, "c2": 4, "c3": 3}
    # The records' crawl_id index, which the delete of a crawl uses.
    indexes = pg_query(postgres_server, "select indexname from pg_indexes where schemaname = 'append'")
    assert sorted(indexes.column("indexname").to_pylist()) == ["links_crawl_id_idx", "pages_crawl_id_idx"]


def test_a_killed_export_leaves_the_previous_tables(postgres_server, index_a, index_b):
    """Kill an export once it has loaded inbound_links and waits to swap it in (a reader holds the table)."""
    url = postgres_server.url
    assert export("--data", index_a, "--to", url, "--schema", "killed") == 0
    before = {name: pg_rows(postgres_server, "killed", name) for name in TABLES}
    assert all(before[name] != duckdb_rows(index_b, name) for name in TABLES)

    reader = dbapi.connect(url)  # a transaction reading inbound_links: the swap waits for it
    cursor = reader.cursor()
    cursor.execute("select count(*) from killed.inbound_links")
    assert cursor.fetchone()[0] == len(before["inbound_links"])
    command = [sys.executable, "-m", "linkindex.cli", "export", "--data", str(index_b), "--to", url,
               "--schema", "killed", "--no-progress"]
    process = subprocess.Popen(command, env=command_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        waiting = postgres_server.wait_until(
            "select pid from pg_stat_activity where wait_event_type = 'Lock' "
            "and query like 'drop table if exists \"killed\".\"inbound_links\"%'",
            timeout=60,
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    # While the export waited, the reader saw the old table; once it lets go, the server notices
    # the export is gone and rolls its transaction back.
    cursor.execute("select count(*) from killed.inbound_links")
    assert cursor.fetchone()[0] == len(before["inbound_links"])
    reader.rollback()
    reader.close()
    postgres_server.wait_until(f"select count(*) = 0 from pg_stat_activity where pid = {int(waiting)}")

    position = TABLES.index("inbound_links")
    for number, name in enumerate(TABLES):
        # The tables before inbound_links were committed one by one; inbound_links and after were not.
        expected = duckdb_rows(index_b, name) if number < position else before[name]
        assert pg_rows(postgres_server, "killed", name) == expected, name
    assert staging_tables(postgres_server, "killed") == []


def test_every_header_type_goes_into_postgres_and_parquet(postgres_server, tmp_path):
    header = "\n".join(
        [
            "-- every_type: one column of each type a header may state.",
            "--",
            "-- Grain: one row per id.",
            "-- Key: crawl_id, id",
            "-- Columns:",
            "--   crawl_id  varchar  the crawl",
            "--   id        bigint   row number",
            *(f"--   c_{n}  {t}  a {t}" for n, t in enumerate(TYPE_SAMPLES)),
            "select 1",
        ]
    )
    table = table_from_model(parse_header("every_type", "tables", header))
    con = duckdb.connect()
    values = ", ".join(f"{value}::{t} as c_{n}" for n, (t, value) in enumerate(TYPE_SAMPLES.items()))
    nulls = ", ".join(f"null::{t}" for t in TYPE_SAMPLES)
    sql = f"select 'x' as crawl_id, 1::bigint as id, {values} union all select 'x', 2, {nulls}"

    def part():
        reader = metered(lambda: con.sql(sql).to_arrow_reader(100), table.schema, Meter(TableResult("t"), None))
        return Part("x", lambda: reader, 2)

    expected = rows_of(con.sql(sql).to_arrow_table().cast(table.schema), table.column_names)
    from linkindex.postgres import PostgresDatabase

    database = PostgresDatabase(postgres_server.url, "types")
    try:
        database.write(table, [part()], whole=True)
    finally:
        database.close()
    assert pg_rows_plain(postgres_server, "types", table) == expected
    dataset = ParquetDataset(str(tmp_path), "run")
    dataset.write(table, [part()], whole=True)
    dataset.close()
    back = ds.dataset(tmp_path / "every_type", format="parquet", partitioning="hive").to_table()
    assert rows_of(back, table.column_names) == expected
    file_schema = pq.read_schema(next((tmp_path / "every_type").rglob("*.parquet")))
    assert not any(pa.types.is_unsigned_integer(f.type) for f in file_schema)


PER_CRAWL_HEADER = """-- crawl_urls: a per-crawl table, as link_changes or domain_history are.
--
-- Grain: one row per (crawl_id, url).
-- Key: crawl_id, url
-- Columns:
--   crawl_id    varchar  crawl
--   url         varchar  a URL
--   src_domain  varchar  its registered domain
--   n           bigint   a number
select 1
"""


def test_a_table_keyed_by_crawl_is_replaced_crawl_by_crawl(postgres_server, tmp_path):
    from linkindex.export import IndexSource
    from linkindex.postgres import PostgresDatabase

    table = table_from_model(parse_header("crawl_urls", "tables", PER_CRAWL_HEADER))
    assert table.partition == "crawl_id" and table.lookups == ("src_domain",)
    data = tmp_path / "data"
    data.mkdir()
    with connect(data / "index.duckdb") as con:
        con.execute(
            "create table crawl_urls as select 'c' || (i % 2 + 1) as crawl_id, 'https://a.org/' || i as url, "
            "'a.org' as src_domain, i::bigint as n from range(10) as r(i)"
        )

    def parts(crawls):
        source = IndexSource(data)
        meter = Meter(TableResult(table.name), None)
        return source, [
            Part(c, (lambda c=c: metered(lambda: source.reader(table, c), table.schema, meter)), source.count(table, c))
            for c in crawls
        ]

    def export_to_both(crawls, whole):
        source, crawl_parts = parts(crawls)
        database = PostgresDatabase(postgres_server.url, "percrawl")
        try:
            database.write(table, crawl_parts, whole=whole)
        finally:
            database.close()
            source.close()
        source, crawl_parts = parts(crawls)
        dataset = ParquetDataset(str(tmp_path / "warehouse"), f"run{len(crawls)}")
        dataset.write(table, crawl_parts, whole=whole)
        dataset.close()
        source.close()

    source = IndexSource(data)
    export_to_both(source.crawls(table), whole=True)
    source.close()
    # c2 changes and c3 appears; only they are exported, c1 stays as it was.
    with connect(data / "index.duckdb") as con:
        con.execute("update crawl_urls set n = n + 100 where crawl_id = 'c2'")
        con.execute("insert into crawl_urls values ('c3', 'https://b.org/', 'b.org', 7)")
        con.execute("delete from crawl_urls where crawl_id = 'c1'")
    export_to_both(["c2", "c3"], whole=False)

    expected = sorted(
        [(f"c{i % 2 + 1}", f"https://a.org/{i}", "a.org", i + (100 if i % 2 else 0)) for i in range(10)]
        + [("c3", "https://b.org/", "b.org", 7)]
    )
    assert pg_rows_plain(postgres_server, "percrawl", table) == expected
    partitioning = ds.partitioning(pa.schema([("crawl_id", pa.string())]), flavor="hive")
    back = ds.dataset(tmp_path / "warehouse" / "crawl_urls", format="parquet", partitioning=partitioning).to_table()
    assert rows_of(back, table.column_names) == expected
    key = pg_query(
        postgres_server,
        "select pg_get_constraintdef(oid) as key from pg_constraint where conrelid = 'percrawl.crawl_urls'::regclass",
    )
    assert key.column("key").to_pylist() == ["PRIMARY KEY (crawl_id, url)"]


TYPE_SAMPLES = {
    "varchar": "'text'",
    "boolean": "true",
    "smallint": "-3",
    "integer": "70000",
    "bigint": "5000000000",
    "double": "0.25",
    "float": "1.5",
    "timestamptz": "timestamptz '2024-05-06 07:08:09.123456+00'",
    "timestamp": "timestamp '2024-05-06 07:08:09'",
    "date": "date '2024-05-06'",
    "blob": "'\\x00\\xff'::blob",
    "tinyint": "-1",
    "utinyint": "255",
    "usmallint": "65535",
    "uinteger": "4294967295",
    "ubigint": "18446744073709551615",
    "hugeint": "12345678901234567890123456789012345678",
    "decimal(18,3)": "123.456",
    "varchar[]": "['a', null, 'c']",
    "bigint[]": "[1, 2]",
}


def pg_rows_plain(server, schema, table: ExportTable) -> list[tuple]:
    fetched = pg_query(server, f'select * from "{schema}"."{table.name}"')
    return rows_of(fetched.cast(table.schema), table.column_names)


def test_postgres_credentials_and_clear_errors(postgres_server, index_a, tmp_path, monkeypatch, capsys):
    server = postgres_server
    args = ["--data", index_a, "--tables", "domain_summary", "--schema", "credentials"]
    bad = f"postgresql://{server.user}:not-{server.password}@127.0.0.1:{server.port}/{server.database}"
    assert export(*args, "--to", bad) == 2
    err = capsys.readouterr().err
    assert "password authentication failed" in err and server.password not in err and "not-" not in err
    assert len(err.strip().splitlines()) == 1

    closed = f"postgresql://{server.user}:{server.password}@127.0.0.1:1/{server.database}"
    assert export(*args, "--to", closed) == 2
    err = capsys.readouterr().err
    assert "Connection refused" in err and server.password not in err

    missing = f"postgresql://{server.user}:{server.password}@127.0.0.1:{server.port}/nothere"
    assert export(*args, "--to", missing) == 2
    assert 'database "nothere" does not exist' in capsys.readouterr().err

    # No password in the URL: from $PGPASSWORD, then from a password file.
    monkeypatch.setenv("PGPASSWORD", server.password)
    assert export(*args, "--to", server.url_without_password()) == 0
    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{server.port}:{server.database}:{server.user}:{server.password}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert export(*args, "--to", server.url_without_password()) == 0
    out = capsys.readouterr().out
    assert server.password not in out
    assert pg_rows(server, "credentials", "domain_summary") == duckdb_rows(index_a, "domain_summary")


# -- Parquet datasets ---------------------------------------------------------------------


def read_back(dest: Path, name: str) -> tuple[list[tuple], list[tuple]]:
    """A table's dataset as DuckDB and as pyarrow's dataset API read it."""
    columns = columns_of(name)
    con = duckdb.connect()
    # DuckDB would read crawl ids such as 2024 as numbers: the partition column's type is stated.
    hive = ", hive_types = {'crawl_id': varchar}" if export_table(name).partition else ""
    relation = con.sql(f"select * from read_parquet('{dest / name}/**/*.parquet', hive_partitioning = true{hive})")
    by_duckdb = rows_of(relation.to_arrow_table(), columns)
    partitioning = ds.partitioning(pa.schema([("crawl_id", pa.string())]), flavor="hive")
    dataset = ds.dataset(dest / name, format="parquet", partitioning=partitioning)
    by_pyarrow = rows_of(dataset.to_table(), columns)
    return by_duckdb, by_pyarrow


def test_parquet_dataset_reads_back_row_for_row(index_a, tmp_path):
    dest = tmp_path / "warehouse"
    assert export("--data", index_a, "--to", dest, "--records") == 0
    for name in TABLES + RECORDS:
        expected = record_rows(index_a, name) if name in RECORDS else duckdb_rows(index_a, name)
        by_duckdb, by_pyarrow = read_back(dest, name)
        assert by_duckdb == expected, name
        assert by_pyarrow == expected, name
        described = json.loads((dest / name / "_schema.json").read_text())
        if name in TABLES:
            header = model(name)
            assert described["grain"] == header.grain and described["key"] == list(header.key)
            assert [(c["name"], c["type"], c["description"]) for c in described["columns"]] == [
                (c.name, c.type, c.description) for c in header.columns
            ]
            if export_table(name).partition:  # a table of changes per crawl: one partition per crawl
                assert described["partitioning"] == {"style": "hive", "columns": ["crawl_id"]}
            else:
                assert described["partitioning"] is None
                assert [p.name for p in (dest / name).iterdir() if p.is_dir()] == []
    assert not (dest / STAGING).exists()

    # Records: one partition per crawl, the partition column only in the directory names.
    for name in RECORDS:
        partitions = sorted(p.name for p in (dest / name).iterdir() if p.is_dir())
        assert partitions == ["crawl_id=c1", "crawl_id=c2"]
        for partition in partitions:
            files = list((dest / name / partition).glob("part-*.parquet"))
            assert len(files) == 1
            schema = pq.read_schema(files[0])
            assert "crawl_id" not in schema.names
            assert schema.field("fetched_at").type == TIMESTAMP
            metadata = pq.read_metadata(files[0])
            assert metadata.metadata[b"linkindex.table"] == name.encode()
            assert metadata.row_group(0).column(0).compression == "ZSTD"
        described = json.loads((dest / name / "_schema.json").read_text())
        assert described["partitioning"] == {"style": "hive", "columns": ["crawl_id"]}
    schema = pq.read_schema(next((dest / "inbound_links").glob("*.parquet")))
    assert schema.field("dst_url").metadata[b"description"] == b"URL linked to"
    assert schema.field("first_seen").type == pa.timestamp("us", tz="UTC")


def test_parquet_reexport_of_a_crawl_replaces_its_partition_only(index_a, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(index_a, data)
    dest = tmp_path / "warehouse"
    assert export("--data", data, "--to", dest, "--tables", "links,pages") == 0
    c1_files = sorted((dest / "links" / "crawl_id=c1").iterdir())
    # c2 extracted again with one more link, and a new crawl c3.
    write_parquet(data, "links", [link("c2", ts(3, month=2), "https://a.org/", "https://example.com/")], part=1)
    links, pages = third_crawl()
    write_parquet(data, "links", links)
    assert export("--data", data, "--to", dest, "--tables", "links", "--crawl-id", "c2", "c3") == 0
    assert sorted((dest / "links" / "crawl_id=c1").iterdir()) == c1_files  # untouched
    assert read_back(dest, "links")[0] == record_rows(data, "links")
    assert sorted(p.name for p in (dest / "links").iterdir()) == [
        "_schema.json", "crawl_id=c1", "crawl_id=c2", "crawl_id=c3"
    ]
    # A full replace drops the crawls that are no longer in the data.
    shutil.rmtree(data / "links" / "crawl_id=c3")
    assert export("--data", data, "--to", dest, "--tables", "links") == 0
    assert sorted(p.name for p in (dest / "links").iterdir()) == ["_schema.json", "crawl_id=c1", "crawl_id=c2"]
    assert read_back(dest, "links")[1] == record_rows(data, "links")


def test_a_failing_table_leaves_its_previous_dataset_and_the_others_go_on(index_a, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(index_a, data)
    dest = tmp_path / "warehouse"
    assert export("--data", data, "--to", dest, "--records") == 0
    before = {p: p.read_bytes() for p in (dest / "links").rglob("*") if p.is_file()}
    # A torn record file in c2: the links export fails, the previous links dataset stays whole.
    torn = data / "links" / "crawl_id=c2" / "part-0009.parquet"
    torn.write_bytes((data / "links" / "crawl_id=c2" / "part-0000.parquet").read_bytes()[:300])
    assert export("--data", data, "--to", dest, "--records") == 1
    out = capsys.readouterr().out
    assert "links failed" in out and "part-0009.parquet" in out
    assert {p: p.read_bytes() for p in (dest / "links").rglob("*") if p.is_file()} == before
    assert read_back(dest, "pages")[0] == record_rows(data, "pages")
    assert not (dest / STAGING).exists()


def test_what_a_killed_run_left_is_cleared_by_the_next(index_a, tmp_path):
    dest = tmp_path / "warehouse"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"20260101T000000Z-abcdef-{socket.gethostname()}-{finished.stdout.strip()}"
    alive = f"20260101T000000Z-abcdef-{socket.gethostname()}-{os.getpid()}"
    for name in (dead, alive):
        (dest / STAGING / name / "links").mkdir(parents=True)
    assert export("--data", index_a, "--to", dest, "--tables", "domain_summary") == 0
    assert sorted(p.name for p in (dest / STAGING).iterdir()) == [alive]


def test_parquet_files_close_at_the_size_asked(tmp_path):
    columns = (
        ExportColumn("n", "bigint", "", pa.int64(), "bigint"),
        ExportColumn("text", "varchar", "", pa.string(), "text"),
    )
    table = ExportTable("sized", "index", "rows", "one row per n", ("n",), columns, partition=None)
    batches = [
        pa.record_batch([pa.array(range(i, i + 1000)), pa.array([f"row {n} " * 8 for n in range(i, i + 1000)])],
                        schema=table.schema)
        for i in range(0, 40_000, 1000)
    ]
    file_bytes = 64 * 1024
    dataset = ParquetDataset(str(tmp_path), "run", file_bytes=file_bytes, row_group_bytes=48 * 1024)
    reader = pa.RecordBatchReader.from_batches(table.schema, iter(batches))
    dataset.write(table, [Part(None, lambda: reader, len(batches) * 1000)], whole=True)
    dataset.close()
    files = sorted((tmp_path / "sized").glob("part-run-*.parquet"))
    assert len(files) > 3
    sizes = [f.stat().st_size for f in files]
    assert all(size >= file_bytes for size in sizes[:-1])
    metadata = [pq.read_metadata(f) for f in files]
    largest_row_group = max(m.row_group(i).total_byte_size for m in metadata for i in range(m.num_row_groups))
    assert all(size <= file_bytes + largest_row_group for size in sizes)
    read = pq.ParquetDataset(files).read()
    assert read.column("n").to_pylist() == list(range(40_000))


def test_export_into_an_s3_bucket(index_a, tmp_path, monkeypatch):
    moto_server = pytest.importorskip("moto.server", reason="moto[server] provides the local S3 server")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        options = f"endpoint_override={host}:{port}&scheme=http&region=us-east-1"
        admin, _ = pafs.FileSystem.from_uri(f"s3://warehouse?{options}&allow_bucket_creation=true")
        admin.create_dir("warehouse")
        uri = f"s3://warehouse/linkindex?{options}"
        filesystem, _ = pafs.FileSystem.from_uri(uri)
        tables = ("inbound_links", "domain_summary", "links", "pages")
        assert export("--data", index_a, "--to", uri, "--tables", ",".join(tables)) == 0
        # Again for one crawl: its partition is replaced, not doubled.
        assert export("--data", index_a, "--to", uri, "--tables", "links,pages", "--crawl-id", "c2") == 0
        partitioning = ds.partitioning(pa.schema([("crawl_id", pa.string())]), flavor="hive")
        for name in tables:
            dataset = ds.dataset(f"warehouse/linkindex/{name}", filesystem=filesystem, format="parquet",
                                 partitioning=partitioning)
            expected = record_rows(index_a, name) if name in RECORDS else duckdb_rows(index_a, name)
            assert rows_of(dataset.to_table(), columns_of(name)) == expected, name
        names = [
            info.path
            for info in filesystem.get_file_info(pafs.FileSelector("warehouse/linkindex", recursive=True))
            if info.type == pafs.FileType.File
        ]
        assert not [n for n in names if STAGING in n]
        assert len([n for n in names if n.startswith("warehouse/linkindex/links/crawl_id=c2/")]) == 1
        described = json.loads(filesystem.open_input_file("warehouse/linkindex/links/_schema.json").read())
        assert described["table"] == "links"
    finally:
        server.stop()


def test_the_duckdb_and_pyarrow_recipes_of_the_docs_run(index_a, tmp_path, monkeypatch):
    text = (ROOT / "docs" / "warehouse.md").read_text()
    blocks = re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)
    duckdb_sql = [code for language, code in blocks if language == "sql" and code.startswith("-- DuckDB")]
    pyarrow_code = [code for language, code in blocks if language == "python" and "pyarrow.dataset" in code]
    assert len(duckdb_sql) == 1 and len(pyarrow_code) == 1
    monkeypatch.chdir(tmp_path)
    assert export("--data", index_a, "--to", "warehouse", "--records") == 0

    con = duckdb.connect()
    results = [con.sql(statement).fetchall() for statement in duckdb_sql[0].split(";") if "select" in statement]
    top_domains, links_per_crawl = results
    index = open_index(index_a)
    expected = index.sql("select target_domain, referring_domains, backlinks from domain_summary").fetchall()
    index.close()
    assert sorted(top_domains) == sorted(expected) and top_domains[0] == max(expected, key=lambda row: row[1])
    assert links_per_crawl == [("c1", 13), ("c2", 3)]

    namespace: dict = {}
    exec(pyarrow_code[0], namespace)
    assert namespace["c1"].num_rows == 13 and namespace["c1"].column_names == ["src_url", "dst_url", "anchor_text"]
    assert namespace["summary"].num_rows == 3


# -- the command line ------------------------------------------------------------------


def test_export_refuses_what_it_cannot_do(index_a, tmp_path, capsys):
    dest = tmp_path / "out"
    assert export("--data", index_a, "--to", dest, "--tables", "nope") == 2
    assert "no table nope" in capsys.readouterr().err
    assert export("--data", tmp_path / "empty", "--to", dest) == 2
    assert "linkindex build" in capsys.readouterr().err
    assert export("--data", index_a, "--to", dest, "--records", "--crawl-id", "c9") == 2
    assert "no crawl c9" in capsys.readouterr().err
    assert export("--data", index_a, "--to", dest, "--tables", "domain_summary", "--crawl-id", "c1") == 2
    assert "--crawl-id applies to" in capsys.readouterr().err
    assert not dest.exists()
