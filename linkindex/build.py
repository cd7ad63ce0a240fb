"""The index build: records -> staging -> facts (once per crawl) -> tables.

A data directory is the unit a user works with::

    DIR/links/crawl_id=<id>/part-*.parquet        link records (LINKS_SCHEMA)
    DIR/pages/crawl_id=<id>/part-*.parquet        page records (PAGES_SCHEMA)
    DIR/facts/crawl_id=<id>/<fact model>/*.parquet the per-crawl pre-aggregates
    DIR/facts/crawl_id=<id>/_build.json           what they were computed from
    DIR/index.duckdb                              views over records and facts, and the tables

Each layer is SQL in ``queries/`` (see ``linkindex.models``) and reads only
the layer below::

    raw_pages, raw_links      the record files as written (plus the part file name)
      staging/                stg_pages, stg_links: the de-duplication rules
      facts/                  fct_pages, fct_backlinks, fct_internal_links: per crawl
      queries/*.sql           the tables, from the facts and earlier tables

**Facts are computed once per crawl.** A crawl's facts are recomputed only
when its record files change (a part added, replaced or removed: compared by
name, size and modification time) or when the fact models themselves change;
``full=True`` recomputes every crawl. Link facts are computed one part file at
a time: a page's links are always written in one part, so no group spans
parts, and the work never holds more than one part in memory. A crawl's facts
are written to a hidden directory and swapped in with renames, so a crash
leaves either the old facts or none (and the next build computes them).

**Tables are derived from the facts** into ``index.duckdb.tmp``, renamed
over ``index.duckdb`` when complete: a reader sees the old index or the new
one, never half of one. The raw records stay queryable as views over the
Parquet files; no table repeats them. A build whose inputs (record files,
facts, imported disavow files, thresholds, and the code and SQL of this
package) are those of the index it would replace leaves the index as it is
(``DIR/.index-inputs.json`` says what it was built from).
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
import fcntl
import hashlib
from importlib import resources
import json
import os
from pathlib import Path
import re
import shutil
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from crawler.urls import host_domain
from linkindex.db import DUCKDB_CONFIG, INDEX_FILE, IndexBuildError, configure, connect, first_steps
from linkindex.models import model
from linkindex.schema import LINKS_SCHEMA, PAGES_SCHEMA, SCHEMA_VERSION, SCHEMA_VERSION_KEY, TABLE_KEY

#: The record files of a table; skips the hidden ``.part-*.parquet.tmp`` being written.
RECORD_GLOB = "*/part-*.parquet"
FACTS_DIR = "facts"
MANIFEST = "_build.json"
#: Beside the index: what it was built from, so that a build with nothing new to read keeps it.
INDEX_INPUTS = ".index-inputs.json"
STAGING = ("stg_pages", "stg_links")
#: Fact models computed over a whole crawl's stg_pages.
CRAWL_FACTS = ("fct_pages",)
#: Fact models computed one link part file at a time, over that part's stg_links.
PART_FACTS = ("fct_backlinks", "fct_internal_links")
FACTS = CRAWL_FACTS + PART_FACTS
#: How each part's facts are sorted (none: the tables read them whole).
FACT_ORDER: dict[str, str] = {}
#: Tables (and views: see each model's "Materialized:") in build order: each may read the facts and those before it.
TABLES = (
    "page_status",
    "crawls",
    "current_links",
    "current_backlinks",
    "disavow_entries",
    "inbound_links",
    "referring_domains",
    "anchor_distribution",
    "target_pages",
    "link_breakdown",
    "domain_summary",
    "link_changes",
    "referring_domain_changes",
    "domain_history",
    "domain_authority",
    "page_authority",
    "referring_domain_flags",
    "referring_domain_risk",
    "domain_flags",
    "broken_backlinks",
)
#: Macros of queries/macros/ created before the tables (the reference tables
#: of linkindex.quality come between anchor_words and anchor_class, which
#: read them), and after them (table macros, which read tables).
MACROS_BEFORE = ("fetch_state", "anchor_words", "anchor_class")
MACROS_AFTER = ("target_matches", "link_intersect")
#: The server address of every URL's latest fetch, for the same_network flag.
SERVER_ADDRESSES_SQL = """
select fct_pages.domain, fct_pages.ip_address
from page_status
join fct_pages
    on fct_pages.crawl_id = page_status.crawl_id
    and fct_pages.url = page_status.url
"""
#: Views over the raw records, for ad-hoc queries; no table reads them.
RECORD_VIEWS = ("links_all", "pages_all", "links", "pages")


@dataclass
class CrawlRecords:
    """The record files of one crawl."""

    crawl_id: str
    links: list[Path] = field(default_factory=list)
    pages: list[Path] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes whenever a file is added, removed, replaced or rewritten."""
        digest = hashlib.sha256()
        for table, files in (("links", self.links), ("pages", self.pages)):
            for path in files:
                stat = path.stat()
                digest.update(f"{table}/{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    @property
    def bytes(self) -> int:
        return sum(path.stat().st_size for path in self.links + self.pages)


class BuildResult(dict):
    """Row counts of the facts and tables (a dict, name -> rows), and what the build did."""

    def __init__(self):
        super().__init__()
        self.rebuilt: list[str] = []  # crawls whose facts were computed by this build
        self.reused: list[str] = []  # crawls whose facts were already up to date
        self.removed: list[str] = []  # crawls whose records are gone, and their facts with them
        self.unchanged = False  # nothing the tables are computed from changed: the index was kept as it was
        self.seconds = 0.0
        self.table_seconds: dict[str, float] = {}  # seconds each table (or view) of the index took to create
        self.index_bytes = 0
        self.facts_bytes = 0
        self.records_bytes = 0


# -- settings -------------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b)\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def machine_memory() -> int:
    """Bytes of physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def parse_memory_limit(value: str) -> int:
    """Bytes of a size such as ``4GB``, ``512MiB``; IndexBuildError when it is not one."""
    match = _SIZE.match(value)
    if not match:
        raise IndexBuildError(f"--memory-limit {value!r}: give a size such as 4GB, 1500MB or 8GiB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def resource_settings(memory_limit: str | None, threads: int | None) -> dict:
    """DuckDB settings for a build: its own defaults, but never more than the machine has."""
    settings = {}
    if memory_limit is not None:
        settings["memory_limit"] = f"{min(parse_memory_limit(memory_limit), machine_memory()) // 2**20}MiB"
    if threads is not None:
        if threads < 1:
            raise IndexBuildError(f"--threads must be at least 1, not {threads}")
        settings["threads"] = min(threads, os.cpu_count() or threads)
    return settings


# -- records --------------------------------------------------------------------


def record_files(data_dir: str | Path, table: str) -> list[Path]:
    """The complete Parquet files of ``table`` (``links`` or ``pages``), sorted."""
    return sorted((Path(data_dir) / table).glob(RECORD_GLOB))


def _crawl_of(path: Path) -> str:
    name = path.parent.name
    return name.split("=", 1)[1] if name.startswith("crawl_id=") else name


def scan_records(data_dir: Path) -> dict[str, CrawlRecords]:
    crawls: dict[str, CrawlRecords] = {}
    for table in ("links", "pages"):
        files = record_files(data_dir, table)
        if not files:
            raise IndexBuildError(f"no {table[:-1]} records under {data_dir / table}: run {first_steps(data_dir)}")
        for path in files:
            getattr(crawls.setdefault(_crawl_of(path), CrawlRecords(_crawl_of(path))), table).append(path)
    return dict(sorted(crawls.items()))


def check_record_file(path: Path, table: str) -> None:
    """Raise IndexBuildError, naming the file and what to do, unless it is a record file of ``table``."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise IndexBuildError(
            f"{path} is not a readable Parquet file ({exc}): remove it, or re-run the extract or crawl that wrote it"
        ) from exc
    metadata = schema.metadata or {}
    version = metadata.get(SCHEMA_VERSION_KEY, b"").decode(errors="replace")
    written_as = metadata.get(TABLE_KEY, b"").decode(errors="replace")
    if not version:
        raise IndexBuildError(f"{path} is not a linkindex record file (no {SCHEMA_VERSION_KEY.decode()} metadata)")
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise IndexBuildError(
            f"{path} was written with record schema {version}, this linkindex reads "
            f"{SCHEMA_VERSION}: rewrite the records with this version, or use a linkindex that reads {version}"
        )
    if written_as != table:
        raise IndexBuildError(f"{path} holds {written_as or 'unknown'} records, not {table}: move it to {table}/")
    contract = LINKS_SCHEMA if table == "links" else PAGES_SCHEMA
    # Columns added by a later minor version may be missing; the rest must be there, with their types.
    required = {f.name: f.type for f in contract} if version == SCHEMA_VERSION else None
    for name, type_ in (required or {}).items():
        if name not in schema.names:
            raise IndexBuildError(f"{path} lacks column {name!r} of record schema {version}: it is damaged")
        if not schema.field(name).type.equals(type_):
            raise IndexBuildError(
                f"{path}: column {name!r} is {schema.field(name).type}, record schema {version} says {type_}"
            )


# -- SQL plumbing ------------------------------------------------------------------


def _literal(value: str | list[str]) -> str:
    """A string or list of strings as SQL text: a view cannot hold bound parameters."""
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    return "'" + value.replace("'", "''") + "'"


def _source(directory: Path, files: list[Path], glob: str) -> str:
    """What read_parquet() reads: a glob under ``directory`` (so a view sees files written after the
    build), or the file list when the path itself has glob characters."""
    if any(c in str(directory) for c in "*?[]{}"):
        return _literal([str(f) for f in files])
    return _literal(f"{directory}/{glob}")


def _create_contracts(con) -> None:
    """Zero-row tables with the columns of the current record schema.

    The raw views read the record files ``union all by name`` with these, so
    a column that no file has yet (records written by an older minor
    version) still exists, as null.
    """
    for table, schema in (("links", LINKS_SCHEMA), ("pages", PAGES_SCHEMA)):
        empty = pa.Table.from_batches([], schema=schema.remove_metadata())
        con.register("_contract_arrow", empty)
        con.execute(f"create or replace table _{table}_contract as select * from _contract_arrow")
        con.unregister("_contract_arrow")


def _raw_sql(table: str, source: str) -> str:
    """The records of ``table`` from ``source`` (SQL text), with ``part``: the name of their file."""
    return f"""
        select * exclude (filename), parse_filename(filename) as part
        from (
            select * from read_parquet({source}, hive_partitioning = false, union_by_name = true, filename = true)
            union all by name
            select * from _{table}_contract
        )
    """


def _body(name: str, layer: str) -> str:
    return model(name, layer).sql


def facts_version() -> str:
    """Changes when the staging or fact models, or the record schema, change: their facts are then stale."""
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for name in STAGING:
        digest.update(_body(name, "staging").encode())
    for name in FACTS:
        digest.update(_body(name, "facts").encode())
    return digest.hexdigest()[:16]


#: The host of a URL as the extractor serializes it: scheme://[userinfo@]host[:port]/...
#: (an '@' inside userinfo is percent-encoded, an IPv6 host is bracketed).
URL_HOST_MACRO = r"""
create or replace macro url_host(url) as
    nullif(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)', 1), '')
"""


def _register_host_domains(con, relation: str) -> None:
    """``host_domains(host, domain)`` for every host of the URLs in ``relation``, by the extractor's rules.

    Hosts are few (one per site), so the Public Suffix List lookup runs in
    Python once per host.
    """
    hosts = [row[0] for row in con.execute(f"select distinct url_host(url) from {relation}").fetchall() if row[0]]
    table = pa.table({"host": pa.array(hosts, pa.string()), "domain": [host_domain(h) for h in hosts]})
    con.register("_host_domains_arrow", table)
    con.execute("create or replace temp table host_domains as select * from _host_domains_arrow")
    con.unregister("_host_domains_arrow")


# -- facts ------------------------------------------------------------------------


def _facts_dir(data_dir: Path, crawl_id: str) -> Path:
    return data_dir / FACTS_DIR / f"crawl_id={crawl_id}"


def read_manifest(data_dir: Path, crawl_id: str) -> dict | None:
    try:
        return json.loads((_facts_dir(data_dir, crawl_id) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _copy(con, sql: str, path: Path, order: str | None = None) -> int:
    """Write the result of ``sql`` (sorted by ``order``) to the Parquet file ``path``; return its row count."""
    if order:
        sql = f"select * from ({sql}) order by {order}"
    rows = con.execute(
        f"copy ({sql}) to {_literal(str(path))} (format parquet, compression zstd, row_group_size 122880)"
    ).fetchall()
    return rows[0][0] if rows else 0


def _part_facts(con, part: Path, tmp: Path) -> dict[str, int]:
    """The link facts of one record part, written beside the others; rows per fact model.

    ``con`` is a cursor of its own: the views below are temporary, so parts
    computed at the same time on other cursors never see each other's.
    """
    con.execute(f"create or replace temp view raw_links as {_raw_sql('links', _literal(str(part)))}")
    # Only the kept fetches written in this part can have their links in it.
    con.execute(
        f"create or replace temp view stg_pages as select * from _crawl_stg_pages where part = {_literal(part.name)}"
    )
    con.execute(f"create or replace temp view stg_links as {_body('stg_links', 'staging')}")
    return {
        name: _copy(con, _body(name, "facts"), tmp / name / f"{part.stem}.parquet", FACT_ORDER.get(name))
        for name in PART_FACTS
    }


def compute_facts(con, data_dir: Path, crawl: CrawlRecords, version: str, log=None, workers: int = 1) -> dict[str, int]:
    """Compute the facts of one crawl into a hidden directory, then swap it in; return rows per fact model.

    Link parts are computed ``workers`` at a time, each on its own cursor:
    one part is too small a query to keep every core busy on its own.
    """
    final = _facts_dir(data_dir, crawl.crawl_id)
    tmp = final.with_name(f".tmp-{final.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for name in FACTS:
        (tmp / name).mkdir(parents=True)
    started = time.monotonic()
    fingerprint = crawl.fingerprint()
    rows = dict.fromkeys(FACTS, 0)
    try:
        con.execute(f"create or replace temp view raw_pages as {_raw_sql('pages', _literal([str(p) for p in crawl.pages]))}")
        # A shared table, not a temporary one: every cursor reads it.
        con.execute(f"create or replace table _crawl_stg_pages as {_body('stg_pages', 'staging')}")
        con.execute("create or replace temp view stg_pages as select * from _crawl_stg_pages")
        _register_host_domains(con, "stg_pages")
        rows["fct_pages"] = _copy(con, _body("fct_pages", "facts"), tmp / "fct_pages" / "pages.parquet")
        cursors = [con.cursor() for _ in range(max(1, workers))]
        for cursor in cursors:
            configure(cursor)
        with ThreadPoolExecutor(len(cursors)) as pool:
            done = 0
            # Each worker takes every len(cursors)-th part, on its own cursor.
            futures = [
                pool.submit(lambda c, parts: [_part_facts(c, part, tmp) for part in parts], cursor, crawl.links[i :: len(cursors)])
                for i, cursor in enumerate(cursors)
            ]
            for future in futures:
                for part_rows in future.result():
                    done += 1
                    for name, count in part_rows.items():
                        rows[name] += count
        for cursor in cursors:
            cursor.close()
        if log is not None and len(crawl.links) >= 50:
            log(f"  crawl {crawl.crawl_id}: {done:,} link parts")
        con.execute("drop view stg_pages")
        con.execute("drop table _crawl_stg_pages")
        manifest = {
            "crawl_id": crawl.crawl_id,
            "fingerprint": fingerprint,
            "facts_version": version,
            "rows": rows,
            "record_files": len(crawl.links) + len(crawl.pages),
            "record_bytes": crawl.bytes,
            "seconds": round(time.monotonic() - started, 3),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _swap(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return rows


def _swap(new: Path, final: Path) -> None:
    """Put directory ``new`` where ``final`` is; a crash in between leaves no ``final`` (recomputed next time)."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.rename(final, old)
    os.rename(new, final)
    shutil.rmtree(old, ignore_errors=True)


def _clear_leftovers(facts: Path) -> None:
    """Remove what a killed build left: hidden fact directories being written or swapped out."""
    if facts.is_dir():
        for entry in facts.iterdir():
            if entry.name.startswith((".tmp-", ".old-")):
                shutil.rmtree(entry, ignore_errors=True)


def _directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


# -- the index ------------------------------------------------------------------


def _code_digest() -> str:
    """Changes with the SQL of queries/ and the Python and data of linkindex (PageRank, thresholds...)."""
    import linkindex
    import queries

    digest = hashlib.sha256(getattr(linkindex, "__version__", "").encode())
    for package in (queries, linkindex):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".sql", ".py", ".txt", ".json", ".csv"):
                digest.update(f"{path.relative_to(root)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def index_inputs(data_dir: Path, crawls: dict[str, "CrawlRecords"], quality: dict | None) -> dict:
    """What the tables of an index built now would be computed from: equal inputs give equal tables."""
    from linkindex.disavow import stored_files
    from linkindex.quality import quality_settings

    disavow = hashlib.sha256()
    for target, path in stored_files(data_dir):
        disavow.update(f"{target}\0".encode() + path.read_bytes() + b"\0")
    return {
        "crawls": {crawl_id: crawl.fingerprint() for crawl_id, crawl in sorted(crawls.items())},
        "facts_version": facts_version(),
        "code": _code_digest(),
        "thresholds": quality_settings(quality),
        "disavow": disavow.hexdigest(),
    }


def _index_stat(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def index_is_current(data_dir: Path, inputs: dict) -> bool:
    """The index was built from ``inputs`` and has not been written since."""
    try:
        recorded = json.loads((data_dir / INDEX_INPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    index = _index_stat(data_dir / INDEX_FILE)
    return (
        index is not None
        and recorded.get("inputs") == inputs
        and recorded.get("index") == index
        and not Path(f"{data_dir / INDEX_FILE}.wal").exists()
    )


def _record_index_inputs(data_dir: Path, inputs: dict) -> None:
    tmp = data_dir / f"{INDEX_INPUTS}.tmp"
    tmp.write_text(json.dumps({"inputs": inputs, "index": _index_stat(data_dir / INDEX_FILE)}), encoding="utf-8")
    os.replace(tmp, data_dir / INDEX_INPUTS)


def macro_sql(name: str) -> str:
    """The ``create macro`` statement of ``queries/macros/<name>.sql``."""
    return resources.files("queries").joinpath("macros", f"{name}.sql").read_text(encoding="utf-8")


def _python_inputs(data_dir: Path) -> dict:
    """What Python computes for a table just before its query runs: table name -> function of a connection.

    Each writes a temporary table the query reads: the imported disavow files
    (_disavow_lines), the PageRank of the domain and page graphs
    (_domain_pagerank, _page_pagerank), the server networks (_server_networks).
    The link-quality tables read the current_backlinks view as it is, not a
    copy: each reads only the columns it needs from the facts' Parquet, where
    a copy would hold every column of every current backlink (spilled to
    disk beyond the memory limit, at 100M links).
    """
    from linkindex.authority import domain_graph, page_graph, rank_graph
    from linkindex.disavow import load_entries
    from linkindex.quality import load_server_networks

    def rank_domains(con):
        # current_links is a view: read it once for both graphs.
        con.execute("create or replace temp table _current_links as select * from current_links")
        rank_graph(con, domain_graph("_current_links"))

    def rank_pages(con):
        rank_graph(con, page_graph("_current_links"))
        con.execute("drop table _current_links")

    def quality_inputs(con):
        load_server_networks(con, SERVER_ADDRESSES_SQL)

    return {
        "disavow_entries": lambda con: load_entries(con, data_dir),
        "domain_authority": rank_domains,
        "page_authority": rank_pages,
        "referring_domain_flags": quality_inputs,
    }


def _create_index(
    con, data_dir: Path, crawls: dict[str, CrawlRecords], quality: dict | None = None
) -> dict[str, float]:
    """Create the index's views and tables; returns the seconds each table took (its Python inputs included)."""
    _create_contracts(con)
    sources = {
        table: _source(data_dir / table, [f for c in crawls.values() for f in getattr(c, table)], RECORD_GLOB)
        for table in ("links", "pages")
    }
    con.execute(f"create or replace view raw_links as {_raw_sql('links', sources['links'])}")
    con.execute(f"create or replace view raw_pages as {_raw_sql('pages', sources['pages'])}")
    con.execute("create or replace view links_all as select * exclude (part) from raw_links")
    con.execute("create or replace view pages_all as select * exclude (part) from raw_pages")
    con.execute(f"create or replace view stg_pages as {_body('stg_pages', 'staging')}")
    con.execute(f"create or replace view stg_links as {_body('stg_links', 'staging')}")
    con.execute("create or replace view pages as select * exclude (part) from stg_pages")
    con.execute("create or replace view links as select * from stg_links")
    facts = data_dir / FACTS_DIR
    for name in FACTS:
        files = sorted(facts.glob(f"crawl_id=*/{name}/*.parquet"))
        source = _source(facts, files, f"crawl_id=*/{name}/*.parquet")
        con.execute(
            f"create or replace view {name} as "
            f"select * from read_parquet({source}, hive_partitioning = false, union_by_name = true)"
        )
    from linkindex.quality import create_reference_tables

    for name in MACROS_BEFORE:
        if name == "anchor_class":
            create_reference_tables(con, quality)
        con.execute(macro_sql(name))
    inputs = _python_inputs(data_dir)
    seconds = {}
    for name in TABLES:
        started = time.monotonic()
        if name in inputs:
            inputs[name](con)
        table = model(name)
        kind = "view" if table.materialized == "view" else "table"
        con.execute(f"create or replace {kind} {name} as\n{table.sql}")
        seconds[name] = time.monotonic() - started
    for name in MACROS_AFTER:
        con.execute(macro_sql(name))
    return seconds


@contextmanager
def _build_lock(data_dir: Path):
    """One build at a time per data directory."""
    with open(data_dir / ".build.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBuildError(f"another build is running on {data_dir}: wait for it to finish") from exc
        yield


def _remove_database(path: Path) -> None:
    for file in (path, Path(f"{path}.wal")):
        file.unlink(missing_ok=True)


def build(
    data_dir: str | Path,
    *,
    full: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    log=None,
    quality: dict[str, str] | None = None,
) -> BuildResult:
    """Build ``DIR/index.duckdb`` from the records, computing facts only for crawls that changed.

    ``full`` recomputes every crawl's facts. ``memory_limit`` (``4GB``) and
    ``threads`` bound DuckDB (default: its own, at most what the machine
    has); work beyond the limit spills under ``DIR/.build-tmp``. ``log`` is
    called with a line of text for each step. ``quality``: LINK_QUALITY_*
    thresholds (name -> value as text) in place of their defaults
    (``crawler/defaults.py``). Returns the row count of every fact model and
    table, and what was rebuilt.
    """
    started = time.monotonic()
    if "://" in str(data_dir) and not str(data_dir).startswith("file://"):
        # DuckDB reads object stores only through its httpfs extension,
        # which is not built in (and is not downloaded at run time).
        raise IndexBuildError(
            f"build reads a local or mounted directory, not {str(data_dir).split('?')[0]}: copy the "
            "links/ and pages/ prefixes down (e.g. `aws s3 sync`) or mount the bucket, then build there"
        )
    data_dir = Path(str(data_dir).removeprefix("file://")).absolute()
    from linkindex.quality import SettingError, quality_settings

    try:
        quality_settings(quality)
    except SettingError as exc:
        raise IndexBuildError(str(exc)) from None
    say = log or (lambda message: None)
    crawls = scan_records(data_dir)
    settings = resource_settings(memory_limit, threads)
    # As many parts at a time as DuckDB has threads: each part is a small query.
    fact_workers = settings.get("threads", os.cpu_count() or 1)
    result = BuildResult()
    version = facts_version()
    with _build_lock(data_dir):
        facts = data_dir / FACTS_DIR
        _clear_leftovers(facts)
        stale = [
            crawl
            for crawl in crawls.values()
            if full
            or (manifest := read_manifest(data_dir, crawl.crawl_id)) is None
            or manifest.get("fingerprint") != crawl.fingerprint()
            or manifest.get("facts_version") != version
        ]
        for crawl in stale:
            for table in ("links", "pages"):
                for path in getattr(crawl, table):
                    check_record_file(path, table)
        result.reused = [c for c in crawls if c not in {s.crawl_id for s in stale}]
        spill = data_dir / ".build-tmp"
        shutil.rmtree(spill, ignore_errors=True)
        config = {**settings, "temp_directory": str(spill), "preserve_insertion_order": False}
        try:
            if stale:
                with duckdb.connect(":memory:", config={**DUCKDB_CONFIG, **config}) as con:
                    configure(con)
                    con.execute(URL_HOST_MACRO)
                    _create_contracts(con)
                    for crawl in stale:
                        say(f"facts of crawl {crawl.crawl_id}: {len(crawl.links):,} link parts")
                        t0 = time.monotonic()
                        rows = compute_facts(con, data_dir, crawl, version, log=say, workers=fact_workers)
                        say(
                            f"  {rows['fct_pages']:,} pages, {rows['fct_backlinks']:,} backlinks, "
                            f"{rows['fct_internal_links']:,} internal links in {time.monotonic() - t0:.1f} s"
                        )
                        result.rebuilt.append(crawl.crawl_id)
            gone = sorted(
                crawl_id for path in facts.glob("crawl_id=*") if (crawl_id := path.name.split("=", 1)[1]) not in crawls
            )
            for crawl_id in gone:
                # Before the index is built, so its views never read them.
                shutil.rmtree(_facts_dir(data_dir, crawl_id), ignore_errors=True)
            result.removed = gone

            final = data_dir / INDEX_FILE
            for name in FACTS:
                result[name] = sum((read_manifest(data_dir, c) or {}).get("rows", {}).get(name, 0) for c in crawls)
            inputs = index_inputs(data_dir, crawls, quality)
            if not full and not stale and not gone and index_is_current(data_dir, inputs):
                say(
                    "tables up to date: no record file, imported disavow file, threshold or code of linkindex "
                    "changed since the last build, so the index is kept (--full builds everything again)"
                )
                result.unchanged = True
                with duckdb.connect(str(final), read_only=True) as con:
                    for name in TABLES:
                        result[name] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            else:
                # Gone before the index is replaced: a crash in between leaves an index that is rebuilt next time.
                (data_dir / INDEX_INPUTS).unlink(missing_ok=True)
                tmp = data_dir / f"{INDEX_FILE}.tmp"
                _remove_database(tmp)
                built = False
                try:
                    say("tables")
                    with connect(tmp, config={**config, "preserve_insertion_order": True}) as con:
                        try:
                            result.table_seconds = _create_index(con, data_dir, crawls, quality)
                            for name in TABLES:
                                result[name] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
                            con.execute("checkpoint")
                        except duckdb.OutOfMemoryException:
                            raise
                        except duckdb.Error as exc:
                            raise IndexBuildError(f"building the index of {data_dir} failed: {exc}") from exc
                    built = True
                finally:
                    if not built:
                        _remove_database(tmp)
                # A log left by a crash of a writer of the old index would be replayed on the new one.
                Path(f"{final}.wal").unlink(missing_ok=True)
                os.replace(tmp, final)
                _record_index_inputs(data_dir, inputs)
        except RuntimeError as exc:
            # DuckDB answers Ctrl-C by interrupting the query it runs.
            if "interrupted" in str(exc).lower():
                raise KeyboardInterrupt from exc
            raise
        except duckdb.OutOfMemoryException as exc:
            raise IndexBuildError(
                f"out of memory under --memory-limit {memory_limit}: give it more (a build works one record "
                f"part of up to 500,000 links at a time, and needs about 256MB for that), or fewer --threads"
            ) from exc
        except duckdb.Error as exc:
            raise IndexBuildError(f"building the facts of {data_dir} failed: {exc}") from exc
        finally:
            shutil.rmtree(spill, ignore_errors=True)
    result.index_bytes = (data_dir / INDEX_FILE).stat().st_size
    result.facts_bytes = _directory_bytes(data_dir / FACTS_DIR)
    result.records_bytes = sum(c.bytes for c in crawls.values())
    result.seconds = time.monotonic() - started
    return result


def table_sql(name: str) -> str:
    """The query of one table, as shipped in ``queries/<name>.sql``."""
    return resources.files("queries").joinpath(f"{name}.sql").read_text(encoding="utf-8")
