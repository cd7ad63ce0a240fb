"""linkindex on Spark (local[2]): the same SQL models give the same rows as DuckDB, the extract the same records.

One Spark session serves every test (the ``spark`` fixture of conftest.py):
it takes tens of seconds to start on two cores. The DuckDB build and the
local extract are the references.
"""

from collections import Counter
import json
from pathlib import Path
import re
import shutil

import duckdb
from helpers import HOME, link, page, ts, write_parquet, write_sample
import pyarrow.parquet as pq
import pytest

from linkindex.build import FACTS, STAGING, TABLES, build
from linkindex.cli import main
from linkindex.extract import run_extract
from linkindex.index import IndexBuildError, open_index
from linkindex.models import model

ROOT = Path(__file__).resolve().parents[1]
WARC_FIXTURES = sorted((ROOT / "tests" / "data" / "warc").iterdir()) + [ROOT / "examples" / "sample.warc.gz"]


def key_of(name: str, layer: str = "tables") -> tuple[str, ...]:
    return model(name, layer).key


def sorted_rows(rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    return sorted(rows, key=lambda row: tuple((row[k] is None, row[k]) for k in key))


def assert_same_rows(name: str, expected: list[dict], actual: list[dict], key: tuple[str, ...]) -> None:
    """Row for row, after sorting by the key; floats to 1e-9."""
    assert len(actual) == len(expected), f"{name}: {len(actual)} rows on Spark, {len(expected)} on DuckDB"
    for want, got in zip(sorted_rows(expected, key), sorted_rows(actual, key)):
        assert got.keys() == want.keys(), name
        for column, value in want.items():
            if isinstance(value, float):
                assert got[column] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{name}.{column}: {got} != {want}"
            else:
                assert got[column] == value, f"{name}.{column}: {got} != {want}"


def duckdb_rows(data: Path, name: str) -> list[dict]:
    with open_index(data) as con:
        return con.sql(f"select * from {name}").to_arrow_table().to_pylist()


def dataset_rows(output: Path, name: str) -> list[dict]:
    """A table as a warehouse reads its dataset: every Parquet file, the crawl_id from the directory."""
    columns = ", ".join(model(name).column_names)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    source = f"{output}/{name}/**/*.parquet"
    relation = con.sql(
        f"select {columns} from read_parquet($1, hive_partitioning = true, hive_types_autocast = false)",
        params=[source],
    )
    return relation.to_arrow_table().to_pylist()


#: A link-quality threshold set for both builds, so the Spark build is shown to take -s as the DuckDB build does.
QUALITY = {"LINK_QUALITY_SITEWIDE_MIN_PAGES": "2"}


@pytest.fixture(scope="module")
def crawls(example_web, tmp_path_factory):
    """One data directory, built by DuckDB: the example web's two crawls (conftest.py: every table of link
    intelligence has rows), and the sample's two crawls (duplicate fetches, revisits, every link kind, a
    disavow file) with one page file of record schema 1.0 (no noindex, no ip_address)."""
    data = write_sample(tmp_path_factory.mktemp("crawls"))
    for table in ("links", "pages"):
        for crawl in (example_web / table).iterdir():
            shutil.copytree(crawl, data / table / crawl.name)
    old = pq.read_table(data / "pages" / "crawl_id=c1" / "part-0000.parquet")
    write_parquet(data, "pages", [page("c1", ts(9), "https://new.example/", links_out=1)], part=5)
    write_parquet(data, "links", [link("c1", ts(9), "https://new.example/", HOME, "new", position=0)], part=5)
    path = data / "pages" / "crawl_id=c1" / "part-0005.parquet"
    older = pq.read_table(path).drop_columns(["noindex", "ip_address"])
    pq.write_table(older.replace_schema_metadata({**old.schema.metadata, b"linkindex.schema_version": b"1.0"}), path)
    build(data, quality=QUALITY)
    return data


@pytest.fixture(scope="module")
def spark_output(spark, crawls, tmp_path_factory):
    """``linkindex build --engine spark`` of the crawls (in this process: it joins the tests' session), into
    a destination that holds an older build's table and what a killed build left."""
    output = tmp_path_factory.mktemp("spark-index")
    (output / "crawls" / "crawl_id=gone").mkdir(parents=True)
    (output / "crawls" / "crawl_id=gone" / "part-old.parquet").write_bytes(b"an older build's file")
    (output / "_linkindex_tmp" / "spark-20260101T000000Z-dead00" / "tables").mkdir(parents=True)
    command = ["build", "--engine", "spark", "--master", "local[2]", "--data", str(crawls), "--output", str(output)]
    command += [f"-s{name}={value}" for name, value in QUALITY.items()]
    assert main(command) == 0
    return output


def test_the_spark_build_writes_every_table_equal_to_duckdbs(crawls, spark_output):
    for name in TABLES:
        expected = duckdb_rows(crawls, name)
        assert expected, f"{name} has no rows to compare"
        assert_same_rows(name, expected, dataset_rows(spark_output, name), key_of(name))
    # Each table replaced whole, and what a killed build left removed.
    assert not (spark_output / "crawls" / "crawl_id=gone").exists()
    assert not (spark_output / "_linkindex_tmp").exists()


def test_every_staging_and_fact_model_runs_on_spark_with_duckdbs_rows(spark, crawls):
    """Model by model, over the sample's crawls (the tables above cover the example web's)."""
    from linkindex.spark.build import as_uri, model_frame, register_sources

    register_sources(spark, as_uri(crawls))
    sample = "crawl_id in ('c1', 'c2')"
    for layer, names in (("staging", STAGING), ("facts", FACTS)):
        for name in names:
            described = model(name, layer)
            frame = model_frame(spark, described)
            if layer == "facts":
                frame.createOrReplaceTempView(name)  # the tables' inputs, as the build gives them
            spark_rows = frame.where(sample).toArrow().to_pylist()
            with open_index(crawls) as con:
                expected = con.sql(f"select * from {name} where {sample}").to_arrow_table().to_pylist()
            assert expected, name
            assert_same_rows(name, expected, spark_rows, described.key)


def test_the_output_is_the_export_layout(spark_output):
    output = spark_output
    assert sorted(p.name for p in output.iterdir() if not p.name.startswith(("_", "."))) == sorted(TABLES)
    assert not (output / "_linkindex_tmp").exists()
    for name in TABLES:
        described = model(name)
        schema = json.loads((output / name / "_schema.json").read_text())
        assert schema["table"] == name and schema["grain"] == described.grain
        assert tuple(schema["key"]) == described.key
        assert [(c["name"], c["type"]) for c in schema["columns"]] == [(c.name, c.type) for c in described.columns]
        files = sorted((output / name).rglob("*.parquet"))
        assert files, name
        if "crawl_id" in described.key and len(described.key) > 1:  # as linkindex export partitions
            assert schema["partitioning"] == {"style": "hive", "columns": ["crawl_id"]}
            assert {f.parent.name for f in files} <= {f"crawl_id={c}" for c in ("c1", "c2", "v1", "v2")}
            # The directory names the partition; the files do not repeat it.
            assert "crawl_id" not in pq.read_schema(files[0]).names
        else:
            assert schema["partitioning"] is None
            assert {f.parent for f in files} == {output / name}, name
        for path in files:
            metadata = pq.ParquetFile(path).metadata
            if metadata.num_row_groups:  # a table without rows has a file with its schema only
                assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_the_datasets_have_the_types_of_the_duckdb_tables(crawls, spark_output):
    output = spark_output
    with open_index(crawls) as con:
        for name in TABLES:
            expected = con.sql(f"select * from {name}").types
            source = f"{output}/{name}/**/*.parquet"
            relation = con.sql(
                f"select {', '.join(model(name).column_names)} "
                "from read_parquet($1, hive_partitioning = true, hive_types_autocast = false)",
                params=[source],
            )
            assert [str(t) for t in relation.types] == [str(t) for t in expected], name


def test_query_and_report_read_the_spark_output_as_an_index(crawls, spark_output, capsys):
    sql = "select target_domain, backlinks, referring_domains from domain_summary order by target_domain"
    assert main(["query", sql, "--data", str(spark_output), "--format", "csv"]) == 0
    from_datasets = capsys.readouterr().out
    assert main(["query", sql, "--data", str(crawls), "--format", "csv"]) == 0
    assert from_datasets == capsys.readouterr().out
    assert "example.com," in from_datasets
    assert main(["report", "example.com", "--data", str(spark_output)]) == 0
    assert "blog.net" in capsys.readouterr().out


def test_the_spark_build_says_what_to_run_when_there_are_no_records(spark, tmp_path):
    from linkindex.spark.build import build as build_on_spark

    with pytest.raises(IndexBuildError, match=r"no link records under .*links: run `linkindex crawl"):
        build_on_spark(spark, tmp_path / "empty", tmp_path / "out")
    assert not (tmp_path / "out" / "crawls").exists()


# -- extract --------------------------------------------------------------------


def records(data: Path, table: str) -> list[dict]:
    rows = []
    for path in sorted((data / table).glob("*/part-*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row.values()))


def parts(data: Path) -> list[str]:
    """The part files, without the run token that differs between two extractions."""
    return sorted(re.sub(r"\.[0-9a-f]{8}-", ".RUN-", str(p.relative_to(data))) for p in data.rglob("part-*.parquet"))


def test_extract_on_spark_equals_local_extract_record_for_record(spark, tmp_path, capsys):
    from linkindex.spark.extract import extract

    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(b"this is not a WARC file\n" * 10)
    inputs = [str(p) for p in WARC_FIXTURES] + [str(broken)]
    local_totals, local_results = run_extract(inputs, tmp_path / "local", "c1", workers=1, show_progress=False)
    command = ["extract", *inputs, "--engine", "spark", "--data", str(tmp_path / "spark"), "--crawl-id", "c1"]
    assert main(command) == 1  # one file failed, the others are done
    assert f"file failed: {broken}" in " ".join(capsys.readouterr().out.split())
    for table in ("links", "pages"):
        assert records(tmp_path / "spark", table) == records(tmp_path / "local", table), table
    assert parts(tmp_path / "spark") == parts(tmp_path / "local")

    # Extracting again replaces the parts of the first run: the same records, no duplicates.
    totals, results = extract(spark, inputs, tmp_path / "spark", "c1")

    assert [(r.path, r.error is None) for r in results] == [
        (str(Path(r.path).absolute()), r.error is None) for r in local_results
    ]
    assert [r.path for r in results if r.error] == [str(broken)]
    assert Counter({k: v for k, v in totals.items() if k != "seconds"}) == Counter(
        {k: v for k, v in local_totals.items() if k != "seconds"}
    )
    assert totals["files/failed"] == 1 and totals["links/extracted"] > 1000
    for table in ("links", "pages"):
        assert records(tmp_path / "spark", table) == records(tmp_path / "local", table), table
    assert parts(tmp_path / "spark") == parts(tmp_path / "local")


# -- authority ------------------------------------------------------------------


def reference_pagerank(nodes: list[str], edges: set[tuple[str, str]], damping=0.85, tolerance=1e-10) -> dict:
    """The documented PageRank, written out plainly: equal shares, uniform teleport and dangling rank."""
    n = len(nodes)
    targets = {node: sorted({v for u, v in edges if u == node and v != node}) for node in nodes}
    rank = dict.fromkeys(nodes, 1.0 / n)
    steps = 0
    while True:
        steps += 1
        dangling = sum(rank[node] for node in nodes if not targets[node])
        following = dict.fromkeys(nodes, (damping * dangling + 1.0 - damping) / n)
        for node in nodes:
            for target in targets[node]:
                following[target] += damping * rank[node] / len(targets[node])
        change = sum(abs(following[node] - rank[node]) for node in nodes)
        rank = following
        if change < tolerance:
            break
    total = sum(rank.values())
    return {node: value / total for node, value in rank.items()}, steps


def test_pagerank_on_spark_equals_the_documented_algorithm(spark):
    import random

    from linkindex.spark.authority import rank

    chance = random.Random(7)
    names = [f"site{i}.example" for i in range(30)]
    rows = []
    for _ in range(90):
        src, dst = chance.choice(names[:24]), chance.choice(names)  # the last six link nowhere: dangling
        rows.append((src, dst, chance.random() < 0.8, src[:5], dst[:5]))
    rows += [rows[0], (names[3], names[3], True, "x", "x"), ("lonely.example", names[1], False, "y", "y")]
    links = spark.createDataFrame(rows, "src string, dst string, followed boolean, src_label string, dst_label string")
    # A looser tolerance than the build's: half the steps (each one a Spark job), the same rule.
    ranked, steps = rank(links, labelled=True, tolerance=1e-4)
    result = {row["node"]: row.asDict() for row in ranked.collect()}

    nodes = sorted({r[0] for r in rows} | {r[1] for r in rows})
    edges = {(r[0], r[1]) for r in rows if r[2] and r[0] != r[1]}
    expected, expected_steps = reference_pagerank(nodes, edges, tolerance=1e-4)
    assert result.keys() == set(nodes)
    assert steps == expected_steps  # the same stopping rule
    for node in nodes:
        assert result[node]["pagerank"] == pytest.approx(expected[node], abs=1e-9), node
        assert result[node]["outbound"] == len({v for u, v in edges if u == node})
        assert result[node]["inbound"] == len({u for u, v in edges if v == node})
    assert result["lonely.example"]["label"] == "y" and result["lonely.example"]["inbound"] == 0
    assert sum(row["pagerank"] for row in result.values()) == pytest.approx(1.0, abs=1e-12)
