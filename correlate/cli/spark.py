"""`correlate spark ingest` and `correlate spark minutes`."""

from __future__ import annotations

import click

from correlate.cli.options import aws_options, lb_option, window_options
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.lake import open_lake

LAKE_HELP = "The lake: a local folder, or s3://bucket/prefix on EMR."
MASTER_HELP = "Spark master (default: local[*], or spark-submit's own when run under it)."


@click.group("spark")
def spark_group() -> None:
    """Run correlate's heavy stages on Spark (local[N], or EMR through spark-submit).

    Needs the Spark extra: pip install 'correlate[spark]' (pyspark, and a Java 17+ runtime).
    docs/spark.md shows the EMR Serverless submission.

    \b
    Example:
      correlate spark ingest ./AWSLogs/ --lake ./lake
      correlate spark minutes --lake ./lake --lb web-prod
    """


@spark_group.command("ingest")
@click.argument("sources", nargs=-1, required=True)
@click.option("--lake", "lake_root", help=LAKE_HELP)
@click.option("--master", help=MASTER_HELP)
@aws_options
@click.pass_context
def spark_ingest_command(ctx: click.Context, sources: tuple[str, ...], lake_root: str, master, profile, region) -> None:
    """Parse access logs on Spark and write them to the lake.

    SOURCE is what `correlate ingest logs` takes: files, directories, globs, s3://bucket/prefix.
    The executors parse with correlate's own code (the same framing, tokenizer and typing SQL), so
    requests, tls_connections, connections, health_checks and rejects get the rows `ingest logs`
    would store, each line a row or a reject with its file and line. An object that cannot be read
    is one reject, not a failed job. Loading an object again replaces its earlier rows in the lake.

    \b
    Example:
      correlate spark ingest ./AWSLogs/ --lake ./lake
      correlate spark ingest s3://my-logs/AWSLogs/123456789012/elasticloadbalancing/ --lake s3://my-lake/correlate
    """
    from correlate.spark.ingest import spark_ingest
    from correlate.spark.session import spark_session
    from correlate.store.lake import write_ddl_for

    aws = AwsClients(AwsOptions(profile=profile, region=region))
    lake = open_lake(lake_root, aws)
    spark = spark_session(master)
    summary = spark_ingest(spark, sources, lake.root, aws)
    write_ddl_for(lake)
    if not ctx.obj.quiet:
        click.echo(summary.line(), err=True)


@spark_group.command("minutes")
@click.option("--lake", "lake_root", help=LAKE_HELP)
@lb_option(required=False)
@window_options
@click.option("--master", help=MASTER_HELP)
@click.pass_context
def spark_minutes_command(ctx: click.Context, lake_root: str, lb, since, until, master) -> None:
    """Compute the per-minute cells on Spark from the lake's requests.

    Runs the views the timeline reads (request_facts, latency_cells, frontend_cells and
    request_spans from sql/, translated to Spark SQL) over the lake's requests of --lb (default:
    all) on the days of --since/--until (default: all), and writes the cells into the lake,
    replacing those partitions. The cells equal what DuckDB computes from the same requests; then
    `correlate timeline --lake` reads them instead of scanning requests.

    \b
    Example:
      correlate spark minutes --lake ./lake
      correlate spark minutes --lake s3://my-lake/correlate --lb web-prod --since 2026-11-20 --until 2026-11-21
    """
    from correlate.spark.minutes import requests_remedy, spark_minutes
    from correlate.spark.session import spark_session

    lake = open_lake(lake_root)
    lake.require("requests", requests_remedy(lake.root))
    spark = spark_session(master)
    summary = spark_minutes(spark, lake.root, lb, since, until)
    if not ctx.obj.quiet:
        click.echo(summary.line(), err=True)
