"""The Spark session of a linkindex job, and the settings its SQL relies on.

``spark_session(master, conf)`` starts (or joins) a session. Under
``spark-submit`` (and the Kubernetes operator, which runs it) the master and
every setting come from the submission, and ``--master`` is not needed;
run directly, ``--master`` defaults to ``local[*]``: every core of this
machine.

``configure(spark)`` sets, at run time, the SQL settings the models and the
datasets rely on, so they hold however the session was made: UTC session
time, Parquet timestamps in microseconds (the export layout's type, which
every warehouse reads), zstd, partition values read as strings (a crawl id
of digits stays a string), no ``_SUCCESS`` marker files.
"""

import os
import re
import shutil
import sys

from linkindex.spark import INSTALL_HINT, SparkUnavailable, require_spark

DEFAULT_MASTER = "local[*]"
APP_NAME = "linkindex"

#: SQL settings every linkindex job sets on its session.
SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}

#: Settings of a session started here (not by spark-submit): no web UI on a port, quiet output.
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}


def submitted() -> bool:
    """Whether this Python runs under spark-submit (which started the JVM and holds the master)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def parse_conf(pairs: list[str] | None) -> dict[str, str]:
    """``KEY=VALUE`` strings (``--conf``) as a dict; ValueError naming a pair without '='."""
    conf = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--conf {pair!r}: give KEY=VALUE, e.g. spark.driver.memory=4g")
        conf[key.strip()] = value
    return conf


def spark_session(master: str | None = None, conf: dict[str, str] | None = None, app_name: str = APP_NAME):
    """A SparkSession on ``master`` (default: spark-submit's, else local[*]) with ``conf``, configured."""
    require_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master or not submitted():
        master = master or DEFAULT_MASTER
        builder = builder.master(master)
        if re.match(r"local(\[|$)", master):
            # Local executors run this Python, with this environment's packages.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if not submitted():
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # pyspark's own error types differ between versions
        if "JAVA_GATEWAY_EXITED" in str(exc) or "JAVA_HOME" in str(exc) or shutil.which("java") is None:
            raise SparkUnavailable(f"Spark could not start its Java process ({exc}). {INSTALL_HINT}") from exc
        raise
    if not submitted():
        spark.sparkContext.setLogLevel("ERROR")
    configure(spark)
    return spark


def configure(spark) -> None:
    """Set the SQL settings linkindex jobs rely on (see ``SQL_SETTINGS``)."""
    for key, value in SQL_SETTINGS.items():
        spark.conf.set(key, value)
    # Spark writes one marker file per output directory otherwise; the export layout has none.
    spark.sparkContext._jsc.hadoopConfiguration().set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
