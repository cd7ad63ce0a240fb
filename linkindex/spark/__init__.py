"""linkindex on Apache Spark: the same records, the same SQL models, the same results, on any cluster.

- ``linkindex.spark.build``: ``linkindex build --engine spark``: staging,
  facts and tables of ``queries/`` run as Spark SQL over the Parquet records,
  every table written as a Parquet dataset in the export layout.
- ``linkindex.spark.extract``: ``linkindex extract --engine spark``: one task
  per WARC file, records written by the executors through the project's own
  Parquet writer.
- ``linkindex.spark.sql``: the DuckDB models translated to Spark SQL (SQLGlot).
- ``linkindex.spark.session``: the Spark session and the settings every job needs.

Spark is an optional extra (``pip install 'linkindex[spark]'``) and needs a
Java runtime (17 or later) from the system.
"""

INSTALL_HINT = (
    "Spark is an optional extra: pip install 'linkindex[spark]' (pyspark and sqlglot), "
    "with a Java 17+ runtime on the machine (e.g. apt-get install openjdk-17-jre-headless)"
)


class SparkUnavailable(Exception):
    """pyspark, sqlglot or Java is missing: the message says how to get them."""


def require_spark() -> None:
    """Raise SparkUnavailable, saying what to install, unless pyspark and sqlglot can be imported."""
    missing = []
    for module in ("pyspark", "sqlglot"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise SparkUnavailable(f"no {' and no '.join(missing)} here. {INSTALL_HINT}")
