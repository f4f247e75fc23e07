"""The SparkSession of a `correlate spark` command: local[N] by default, or the cluster
`spark-submit` gives it, with the settings that make Spark's answers and Parquet DuckDB's.

- `spark.sql.session.timeZone=UTC`: the lake's timestamps are UTC wall times;
- `spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS`: Spark's default (INT96) stores
  zone-shifted values that DuckDB and Athena read differently;
- `spark.sql.sources.partitionColumnTypeInference.enabled=false`: partition keys stay strings
  (`day=2026-11-20` would otherwise become a DATE);
- `spark.sql.sources.partitionOverwriteMode=dynamic`: a write replaces the partitions it writes,
  and only those.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

from correlate.errors import CorrelateError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"

SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}
# Only where correlate starts Spark itself (local[N]): a cluster brings its own.
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "16",
    "spark.driver.memory": "2g",  # local[N] runs the executors in the driver's JVM
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC -XX:+UseSerialGC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}


class SparkUnavailable(CorrelateError):
    """pyspark or a Java runtime is missing."""


def check_spark() -> None:
    """Fail with one line, not a traceback, where Spark cannot start."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(
            "pyspark is not installed. Install correlate with its Spark extra: pip install 'correlate[spark]'."
        ) from None
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))) and shutil.which("java") is None:
        raise SparkUnavailable(
            "Spark needs a Java runtime (17 or later) and none was found: install one (apt-get install "
            "openjdk-17-jre-headless) or set JAVA_HOME."
        )


def under_spark_submit() -> bool:
    """spark-submit starts the Python driver with a gateway to its own JVM already running."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def spark_session(master: str | None = None, extra: dict[str, str] | None = None) -> SparkSession:
    """The session: on `master` (default local[*], or spark-submit's own master when run under it)."""
    check_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("correlate")
    local = master is not None or not under_spark_submit()
    if local:
        # executors of local[N] run this same Python, so they import this same correlate
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.master(master or DEFAULT_MASTER)
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
    for key, value in {**SETTINGS, **(extra or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    for key, value in {**SETTINGS, **(extra or {})}.items():
        if key.startswith("spark.sql."):  # a session that already existed gets them too
            session.conf.set(key, value)
    return session
