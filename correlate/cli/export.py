"""`correlate export`."""

from __future__ import annotations

import click

from correlate.cli.options import aws_options, lb_option, open_db, window_options
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.lake import open_lake
from correlate.store.lake import LakeFilter, export_lake


@click.command("export")
@click.argument("dest")
@lb_option(required=False)
@window_options
@aws_options
@click.pass_context
def export_command(ctx: click.Context, dest: str, lb: str | None, since, until, profile, region) -> None:
    """Write the database's tables to DEST as a Hive-partitioned Parquet lake.

    DEST is a local folder or s3://bucket/prefix. Each table goes to DEST/<table>/, partitioned by
    load balancer and UTC day (lb=NAME/day=YYYY-MM-DD; api_calls by day, rejects by log kind),
    together with the per-minute cells the timeline reads (latency_cells, frontend_cells,
    request_spans), and DEST/_ddl/athena.sql holds the Athena/Glue DDL of every table. DuckDB,
    Spark and Athena read the lake alike (docs/lake.md).

    --lb and --since/--until select what to write; a window is widened to the whole days it
    touches. Exporting again replaces the partitions written, never duplicates them: the rows of
    the log objects exported replace those objects' earlier rows, and the partition's rows from
    other objects stay.

    \b
    Example:
      correlate export ./lake
      correlate export s3://my-lake/correlate --lb web-prod --since 2026-11-20 --until 2026-11-21
    """
    lake = open_lake(dest, AwsClients(AwsOptions(profile=profile, region=region)))
    with open_db(ctx, read_only=True) as db:
        summary = export_lake(db, lake, LakeFilter(lb=lb, since=since, until=until))
    if not ctx.obj.quiet:
        click.echo(summary.line(), err=True)
