"""Records written straight to an object store (S3 API), as workers on a cluster may.

A real S3-compatible server (moto's) runs on loopback; pyarrow's S3
filesystem writes to it exactly as it would to a cloud bucket.
"""

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from linkindex.cli import main
from linkindex.index import IndexBuildError, build

moto_server = pytest.importorskip("moto.server", reason="moto[server] provides the local S3 server")
fs = pytest.importorskip("pyarrow.fs")

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample.warc.gz"
COLUMNS = ["src_url", "dst_url", "anchor_text", "kind", "position"]


@pytest.fixture
def bucket(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    uri = f"s3://records/index?endpoint_override={host}:{port}&scheme=http&region=us-east-1"
    admin, _ = fs.FileSystem.from_uri(f"{uri}&allow_bucket_creation=true")
    admin.create_dir("records")
    filesystem, _ = fs.FileSystem.from_uri(uri)
    yield uri, filesystem
    server.stop()


def rows(dataset):
    return sorted(tuple(r[c] for c in COLUMNS) for r in dataset.to_table(columns=COLUMNS).to_pylist())


def test_extract_into_a_bucket_equals_a_local_extract(bucket, tmp_path):
    uri, filesystem = bucket
    assert main(["extract", str(SAMPLE), "--data", uri, "--no-progress", "--workers", "1"]) == 0
    # Again: the file's parts are replaced, not duplicated.
    assert main(["extract", str(SAMPLE), "--data", uri, "--no-progress", "--workers", "1"]) == 0
    names = [i.path for i in filesystem.get_file_info(fs.FileSelector("records/index", recursive=True)) if i.is_file]
    assert len(names) == 2 and all("/part-sample-" in n for n in names)

    assert main(["extract", str(SAMPLE), "--data", str(tmp_path), "--no-progress", "--workers", "1"]) == 0
    remote = ds.dataset("records/index/links", filesystem=filesystem, format="parquet", partitioning=None)
    local = ds.dataset(tmp_path / "links", format="parquet", partitioning=None)
    assert rows(remote) == rows(local)
    assert len(rows(local)) == 43


def test_build_explains_how_to_index_a_bucket(bucket):
    uri, _ = bucket
    with pytest.raises(IndexBuildError, match="local or mounted directory"):
        build(uri)
