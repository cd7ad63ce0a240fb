"""``linkindex build --engine spark``: the models of ``queries/`` on Spark, written as Parquet datasets.

The same layers as the DuckDB build (``linkindex.build``), from the same SQL
files (translated by ``linkindex.spark.sql``), over the same records::

    raw_pages, raw_links      the record files (DIR/pages, DIR/links), with the part file name
      staging/                stg_pages, stg_links
      facts/                  over every crawl at once, written partitioned by crawl_id
      queries/*.sql           the tables, in the builder's order, each read back once written

Only the execution differs. DuckDB computes a crawl's facts one record part
at a time to stay within one machine's memory; Spark computes them over all
crawls at once, as one distributed job per model (the models group by
``crawl_id``, so the rows are the same). The facts go to a staging area and
are read back from it, so every table reads them from Parquet rather than
recomputing them.

The output is the export layout of ``linkindex export``: one dataset per
table under ``DEST/<table>/``, partitioned Hive-style by ``crawl_id`` when
the table's key holds it (``DEST/<table>/crawl_id=<id>/part-*.parquet``,
the column named by the directory and not stored in the files), with a
``_schema.json`` stating the table's title, grain, key and columns from the
model header. Columns have the header's types (timestamps in microseconds,
UTC), files are zstd-compressed, each sorted by the key. Views
(``Materialized: view``) are written as datasets too: a directory of Parquet
has no views.

Every table is written under ``DEST/_linkindex_tmp/spark-<run>/`` first and
moved into place only when all of them are complete; each move replaces one
table directory (renames, on object stores a copy), so a failed build leaves
the previous tables as they were.

Where the DuckDB build calls Python, the Spark build calls the same Python:
``host_domains`` (the Public Suffix List lookup of ``crawler.urls``) and the
server networks of ``referring_domain_flags`` (``linkindex.quality``) are
Python functions applied on the executors to the distinct hosts and
addresses; the reference tables of ``linkindex.quality`` and the imported
disavow files (``linkindex.disavow``) are read on the driver, as they are
small; the PageRank of ``domain_authority`` and ``page_authority`` is the
iterative DataFrame job of ``linkindex.spark.authority``, over the graphs
``linkindex.authority`` defines (the same SQL).
"""

from datetime import datetime, timezone
from pathlib import Path
import secrets
import shutil
import time

import pyarrow as pa

from linkindex.build import (
    FACTS,
    MACROS_BEFORE,
    SERVER_ADDRESSES_SQL,
    STAGING,
    TABLES,
    URL_HOST_MACRO,
    check_record_file,
    macro_sql,
    scan_records,
)
from linkindex.dataset import SCHEMA_FILE, swap_in
from linkindex.dataset import STAGING as STAGING_DIR
from linkindex.db import IndexBuildError
from linkindex.export import CRAWL_COLUMN, TableExportError, column_type, json_text, table_from_model
from linkindex.models import Model, model
from linkindex.schema import LINKS_SCHEMA, PAGES_SCHEMA
from linkindex.spark.session import configure
from linkindex.spark.sql import TranslationError, to_spark

#: The macros the models call (DuckDB ``create macro`` statements of ``queries/macros/``), expanded for Spark.
MACROS = (URL_HOST_MACRO, *(macro_sql(name) for name in MACROS_BEFORE))


def arrow_to_spark(arrow_type: pa.DataType) -> str:
    """The Spark SQL type that Parquet stores as ``arrow_type``."""
    if pa.types.is_list(arrow_type):
        return f"array<{arrow_to_spark(arrow_type.value_type)}>"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp" if arrow_type.tz else "timestamp_ntz"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    names = {
        pa.string(): "string",
        pa.bool_(): "boolean",
        pa.int16(): "smallint",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.float32(): "float",
        pa.float64(): "double",
        pa.date32(): "date",
        pa.binary(): "binary",
    }
    if arrow_type not in names:
        raise IndexBuildError(f"no Spark type for {arrow_type}")
    return names[arrow_type]


def spark_type(header_type: str) -> str:
    """The Spark SQL type of a header type: the one whose Parquet type ``linkindex export`` writes for it."""
    try:
        return arrow_to_spark(column_type(header_type).arrow)
    except TableExportError as exc:
        raise IndexBuildError(str(exc)) from exc


def record_schema_ddl(schema: pa.Schema) -> str:
    """A record schema (``linkindex.schema``) as a Spark DDL string."""
    return ", ".join(f"`{f.name}` {arrow_to_spark(f.type)}" for f in schema)


class SparkBuildResult(dict):
    """Row counts of the facts and tables (name -> rows), and where the tables went."""

    def __init__(self, output: str):
        super().__init__()
        self.output = output
        self.crawls: list[str] = []
        self.seconds = 0.0


# -- paths and files (Hadoop's filesystem: local, HDFS, s3a://, gs://, ...) ----------


def as_uri(location: str | Path) -> str:
    """A location Spark reads the same on every executor: URIs as given, local paths as file:// URIs."""
    text = str(location)
    if "://" in text:
        return text.rstrip("/")
    # Not Path.as_uri(): Hadoop reads paths as written, without percent-decoding ('crawl_id=c1').
    return "file://" + str(Path(text).absolute())


def _hadoop(spark, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def _exists(spark, uri: str) -> bool:
    fs, path = _hadoop(spark, uri)
    return fs.exists(path)


def _delete(spark, uri: str) -> None:
    fs, path = _hadoop(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def _rename(spark, source: str, target: str) -> None:
    fs, path = _hadoop(spark, source)
    _, to = _hadoop(spark, target)
    if not fs.rename(path, to):
        raise IndexBuildError(f"cannot move {source} to {target}")


def _write_text(spark, uri: str, text: str) -> None:
    fs, path = _hadoop(spark, uri)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def _swap_in(spark, new: str, final: str) -> None:
    """Put directory ``new`` at ``final``, the previous one (if any) removed after: on a local disk in
    one atomic exchange (as ``linkindex export`` does), elsewhere with Hadoop's renames."""
    if new.startswith("file://") and final.startswith("file://"):
        new_path, final_path = new.removeprefix("file://"), final.removeprefix("file://")
        Path(final_path).parent.mkdir(parents=True, exist_ok=True)
        if swap_in(new_path, final_path):
            shutil.rmtree(new_path, ignore_errors=True)  # the previous table, swapped out
        return
    aside = f"{new}.replaced"
    had_one = _exists(spark, final)
    if had_one:
        _rename(spark, final, aside)
    parent = final.rsplit("/", 1)[0]
    fs, parent_path = _hadoop(spark, parent)
    fs.mkdirs(parent_path)
    _rename(spark, new, final)
    if had_one:
        _delete(spark, aside)


# -- the layers ----------------------------------------------------------------------


def _record_source(spark, data: str, table: str) -> list[str]:
    """The record files of ``table`` to read: the file list on a local disk (checked as the DuckDB
    build checks them), the ``*/part-*.parquet`` pattern elsewhere."""
    if data.startswith("file:"):
        root = Path(data.removeprefix("file://"))
        crawls = scan_records(root)  # says what to run when there are no records
        files = [path for crawl in crawls.values() for path in getattr(crawl, table)]
        for path in files:
            check_record_file(path, table)
        return [as_uri(path) for path in files]
    return [f"{data}/{table}/*/part-*.parquet"]


def _read_records(spark, data: str, table: str):
    """The records of ``table`` with every column of the current record schema (null where a file of an
    older minor version lacks it) and ``part``: the name of the file they were read from."""
    from pyspark.sql import functions as F

    schema = LINKS_SCHEMA if table == "links" else PAGES_SCHEMA
    sources = _record_source(spark, data, table)
    # No partition discovery: crawl_id is a column of the records themselves.
    reader = spark.read.schema(record_schema_ddl(schema)).option("recursiveFileLookup", "true")
    frame = reader.parquet(*sources)
    if not data.startswith("file:") and not frame.inputFiles():
        raise IndexBuildError(
            f"no {table[:-1]} records under {data}/{table}: run `linkindex extract` or `linkindex crawl` first"
        )
    return frame.select(*schema.names, F.col("_metadata.file_name").alias("part"))


def _host_domain(host):
    """The domain a host is grouped under, by the extractor's rules (runs on the executors)."""
    from crawler.urls import host_domain

    return host_domain(host) if host else None


def model_frame(spark, described: Model):
    """The rows of a model (a DataFrame), its SQL translated for Spark, over the views registered so far."""
    try:
        return spark.sql(to_spark(described.sql, MACROS))
    except TranslationError as exc:
        raise IndexBuildError(f"{described.layer}/{described.name}.sql: {exc}") from exc


def register_sources(spark, data: str) -> None:
    """The views the fact models read: ``raw_pages``, ``raw_links``, the staging models and
    ``host_domains``, over the records under ``data`` (a URI)."""
    from pyspark.sql import functions as F

    _read_records(spark, data, "pages").createOrReplaceTempView("raw_pages")
    _read_records(spark, data, "links").createOrReplaceTempView("raw_links")
    for name in STAGING:
        model_frame(spark, model(name, "staging")).createOrReplaceTempView(name)
    # Hosts are few (one per site): the Public Suffix List lookup runs once per host, in Python.
    hosts = spark.sql(to_spark("select distinct url_host(url) as host from stg_pages", MACROS))
    domain = F.udf(_host_domain, "string", useArrow=False)
    hosts = hosts.where("host is not null and host <> ''")
    hosts.select("host", domain("host").alias("domain")).createOrReplaceTempView("host_domains")


def register_reference_tables(spark, quality: dict[str, str] | None = None) -> None:
    """The reference tables of ``linkindex.quality`` the link-quality tables read, as views:
    ``link_quality_settings`` (``quality`` overriding the defaults), ``risk_rules``, ``generic_anchors``."""
    from linkindex.quality import GENERIC_ANCHORS_SQL, reference_tables

    for name, table in reference_tables(quality).items():
        spark.createDataFrame(table).createOrReplaceTempView(name)
    spark.sql(to_spark(GENERIC_ANCHORS_SQL, MACROS)).localCheckpoint().createOrReplaceTempView("generic_anchors")


def _disavow_files(spark, data: str) -> list[tuple[str, bytes]]:
    """(target domain, bytes) of every imported disavow file under ``data`` (``DIR/disavow/<target>.txt``)."""
    from linkindex.disavow import FOLDER, stored_files

    if data.startswith("file://"):
        return [(target, path.read_bytes()) for target, path in stored_files(data.removeprefix("file://"))]
    fs, pattern = _hadoop(spark, f"{data}/{FOLDER}/*.txt")
    if not fs.globStatus(pattern):
        return []
    files = spark.sparkContext.binaryFiles(f"{data}/{FOLDER}/*.txt").collect()
    return sorted((path.rsplit("/", 1)[1].removesuffix(".txt"), bytes(content)) for path, content in files)


def _register_disavow_lines(spark, data: str) -> None:
    """``_disavow_lines``: the entries of the imported disavow files, as ``linkindex.disavow`` reads them."""
    from linkindex.disavow import entries_table

    entries = entries_table(_disavow_files(spark, data))
    schema = ", ".join(f"`{f.name}` {arrow_to_spark(f.type)}" for f in entries.schema)
    spark.createDataFrame(entries.to_pylist(), schema).createOrReplaceTempView("_disavow_lines")


def _register_ranks(spark, graph, log) -> None:
    """The temporary view ``graph.table`` (``linkindex.authority``): the PageRank of the graph its SQL
    defines, ranked by the iterative DataFrame job of ``linkindex.spark.authority``."""
    from linkindex.spark.authority import AuthorityError, rank

    links = spark.sql(to_spark(graph.links, MACROS))
    try:
        ranked, steps = rank(links, labelled=graph.labelled, log=log)
    except AuthorityError as exc:
        raise IndexBuildError(f"{graph.table}: {exc}") from exc
    ranked.localCheckpoint().createOrReplaceTempView(graph.table)
    log(f"  PageRank converged in {steps} steps")


def _network_of(address):
    """The network a server address is counted in (runs on the executors)."""
    from linkindex.quality import network_of

    return network_of(address)


def _register_server_networks(spark) -> None:
    """``_server_networks(domain, network)``: the networks of the servers of every URL's latest fetch, by
    ``linkindex.quality.network_of`` applied to the distinct (domain, address) pairs."""
    from pyspark.sql import functions as F

    pairs = spark.sql(
        to_spark(
            f"select distinct domain, ip_address from ({SERVER_ADDRESSES_SQL}) where ip_address is not null", MACROS
        )
    )
    network = F.udf(_network_of, "string", useArrow=False)
    networks = pairs.select("domain", network("ip_address").alias("network")).where("network is not null")
    networks.distinct().localCheckpoint().createOrReplaceTempView("_server_networks")


def python_inputs(spark, data: str, log) -> dict:
    """What Python computes for a table just before its query runs (as ``linkindex.build`` has it):
    table name -> function writing the views the query reads."""
    from linkindex.authority import domain_graph, page_graph

    return {
        "disavow_entries": lambda: _register_disavow_lines(spark, data),
        "domain_authority": lambda: _register_ranks(spark, domain_graph("current_links"), log),
        "page_authority": lambda: _register_ranks(spark, page_graph("current_links"), log),
        "referring_domain_flags": lambda: _register_server_networks(spark),
    }


def _typed(frame, described: Model):
    """The model's columns, in its header's order and with its header's types."""
    from pyspark.sql import functions as F

    missing = [name for name in described.column_names if name not in frame.columns]
    if missing:
        raise IndexBuildError(
            f"{described.layer}/{described.name}.sql: its query has no column {', '.join(missing)} "
            "that its header states"
        )
    return frame.select(*(F.col(c.name).cast(spark_type(c.type)).alias(c.name) for c in described.columns))


def _materialize(spark, described: Model, directory: str, order: bool) -> int:
    """Write the model's rows as a dataset under ``directory``, read it back as the view of its name;
    return its row count (observed while writing: no second pass)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    frame = _typed(model_frame(spark, described), described)
    # Partitioned as linkindex export partitions it (by crawl when that helps).
    partition = table_from_model(described).partition
    if order:
        # Each file sorted by the key (a global sort would cost a sampling job per table).
        frame = frame.sortWithinPartitions(*described.key)
    written = Observation(described.name)
    writer = frame.observe(written, F.count(F.lit(1)).alias("rows")).write.mode("overwrite")
    if partition:
        writer = writer.partitionBy(partition)
    writer.parquet(directory)
    stored = spark.read.schema(frame.schema).parquet(directory).select(*described.column_names)
    stored.createOrReplaceTempView(described.name)
    return written.get["rows"]


def describe(described: Model) -> dict:
    """What ``DEST/<table>/_schema.json`` says of a table: as ``linkindex export`` writes it."""
    return {
        **table_from_model(described).describe(),
        "built_with": "spark",
        "built_at": datetime.now(timezone.utc).isoformat(),
    }


def _clear_earlier_runs(spark, output: str) -> None:
    """Remove what killed Spark builds left in the staging area (one build per output at a time)."""
    fs, path = _hadoop(spark, f"{output}/{STAGING_DIR}")
    if not fs.exists(path):
        return
    for status in fs.listStatus(path):
        if status.getPath().getName().startswith("spark-"):
            fs.delete(status.getPath(), True)


def build(
    spark, data: str | Path, output: str | Path, *, log=None, quality: dict[str, str] | None = None
) -> SparkBuildResult:
    """Build every fact and table of ``queries/`` from the records under ``data`` on ``spark``, and write
    the tables as Parquet datasets under ``output`` (local paths or any URI Spark writes).

    ``quality``: LINK_QUALITY_* thresholds (name -> value as text) in
    place of their defaults, as ``linkindex build -s`` gives them. Returns
    the row count of every fact model and table. Raises
    IndexBuildError for records that are missing or unreadable, and when
    Spark fails (with Spark's message).
    """
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    from linkindex.quality import SettingError, quality_settings

    started = time.monotonic()
    try:
        quality_settings(quality)
    except SettingError as exc:
        raise IndexBuildError(str(exc)) from None
    say = log or (lambda message: None)
    data_uri, output_uri = as_uri(data), as_uri(output)
    configure(spark)
    result = SparkBuildResult(output_uri)
    stage = f"{output_uri}/{STAGING_DIR}/spark-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    try:
        _clear_earlier_runs(spark, output_uri)
        register_sources(spark, data_uri)
        for name in FACTS:
            say(f"facts: {name}")
            result[name] = _materialize(spark, model(name, "facts"), f"{stage}/facts/{name}", order=False)
        result.crawls = sorted(
            row[0] for row in spark.sql(f"select distinct {CRAWL_COLUMN} from fct_pages").collect()
        )
        register_reference_tables(spark, quality)
        inputs = python_inputs(spark, data_uri, say)
        for name in TABLES:
            say(f"table: {name}")
            if name in inputs:
                inputs[name]()
            described = model(name)
            directory = f"{stage}/tables/{name}"
            result[name] = _materialize(spark, described, directory, order=True)
            _write_text(spark, f"{directory}/{SCHEMA_FILE}", json_text(describe(described)))
        say(f"moving the tables into {output_uri}")
        for name in TABLES:
            _swap_in(spark, f"{stage}/tables/{name}", f"{output_uri}/{name}")
    except (PySparkException, Py4JError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise IndexBuildError(f"the Spark build of {data} failed: {message}") from exc
    finally:
        try:
            _delete(spark, stage)
            fs, staging = _hadoop(spark, f"{output_uri}/{STAGING_DIR}")
            if fs.exists(staging) and not fs.listStatus(staging):
                fs.delete(staging, False)
        except Exception:  # noqa: BLE001 - a failed clean-up never hides the build's own error
            pass
    result.seconds = time.monotonic() - started
    return result
