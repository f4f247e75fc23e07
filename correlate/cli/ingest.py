"""`correlate ingest logs` and `correlate ingest cloudtrail`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from correlate.cli.options import TIME, lb_option, open_db, window_options
from correlate.errors import StrictModeFailure
from correlate.parse.cloudtrail import Window
from correlate.pipeline.cloudtrail import (
    CLOUDTRAIL_SUFFIXES,
    CloudTrailSummary,
    ingest_cloudtrail,
    ingest_lookup,
    rebuild_changes,
)
from correlate.pipeline.cloudtrail import Progress as TrailProgress
from correlate.pipeline.inventory import ingest_inventory
from correlate.pipeline.logs import LOG_SUFFIXES, IngestSummary, ingest_logs
from correlate.pipeline.logs import Progress as LoadProgress
from correlate.sources import expand_sources
from correlate.sources.inventory import describe_inventory, inventory_clients
from correlate.sources.lookup import cloudtrail_client
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.logs import LogStore, RowFilter
from correlate.timeparse import utcnow

_ = TIME  # re-exported option type, used by window_options


@click.group()
def ingest() -> None:
    """Load access logs or CloudTrail records into the database.

    \b
    Example:
      correlate ingest logs ./AWSLogs/ --since 2026-11-20T13:00Z
      correlate ingest cloudtrail ./trail/
      correlate ingest inventory --region us-east-1
    """


@ingest.command("logs")
@click.argument("sources", nargs=-1, required=True)
@window_options
@lb_option(required=False)
@click.option("--strict", is_flag=True, help="Exit with status 1 when any line was rejected.")
@click.pass_context
def logs_command(ctx: click.Context, sources: tuple[str, ...], since, until, lb, strict: bool) -> None:
    """Load ALB, Classic ELB and NLB access logs, ALB connection and health-check logs.

    SOURCE is a file, a directory (searched recursively for *.log and *.log.gz), or a glob. The kind
    of each file comes from its AWS object name, or from its first lines. Re-running on the same
    files loads nothing twice; a file whose content changed is reloaded. Lines that cannot be loaded
    go to the rejects table with their file, line number and reason.

    \b
    Example:
      correlate ingest logs ./AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/20/
      correlate ingest logs 'logs/**/*.log.gz' --lb web-prod --since 6h
    """
    settings = ctx.obj
    objects = expand_sources(sources, LOG_SUFFIXES)
    row_filter = RowFilter(since=since, until=until, lb=lb)
    with open_db(ctx, read_only=False) as db, _progress(settings.quiet) as on_progress:
        summary = ingest_logs(LogStore(db), objects, row_filter, on_progress)
        rebuild_changes(CloudTrailStore(db))  # access logs link target groups to load balancers
    _finish(summary, settings.quiet, strict)


@ingest.command("cloudtrail")
@click.argument("sources", nargs=-1)
@click.option("--lookup", is_flag=True, help="Read events through the LookupEvents API instead of files.")
@click.option(
    "--region", "regions", multiple=True, help="With --lookup: a region to look up (repeatable; default: AWS_REGION)."
)
@window_options
@click.option("--strict", is_flag=True, help="Exit with status 1 when any record was rejected.")
@click.pass_context
def cloudtrail_command(
    ctx: click.Context, sources: tuple[str, ...], lookup: bool, regions: tuple[str, ...], since, until, strict: bool
) -> None:
    """Load CloudTrail records and rebuild the configuration changes of each load balancer.

    SOURCE is a trail file ({"Records": [...]}, .json or .json.gz), a JSON-lines file, an array of
    records, EventBridge events, saved `aws cloudtrail lookup-events` output, a directory (searched
    recursively) or a glob. CloudTrail-Digest and CloudTrail-Insight objects are skipped. Only Elastic
    Load Balancing events and related changes (certificates, security groups, network ACLs, WAF,
    Auto Scaling) are kept; the rest is counted. The same event loaded twice is stored once.

    With --lookup, events come from the LookupEvents API (last 90 days) in each --region.

    \b
    Example:
      correlate ingest cloudtrail ./AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/
      correlate ingest cloudtrail events.jsonl saved-lookup.json
      correlate ingest cloudtrail --lookup --region us-east-1 --region eu-west-1 --since 2d
    """
    settings = ctx.obj
    window = Window(since=since, until=until)
    if lookup and sources:
        raise click.UsageError("Give either SOURCE arguments or --lookup, not both.")
    if not lookup and not sources:
        raise click.UsageError("Give at least one SOURCE (a file, directory or glob), or --lookup.")
    if regions and not lookup:
        raise click.UsageError("--region goes with --lookup.")
    if lookup:
        clients = {region: cloudtrail_client(region) for region in regions or (None,)}
        clients = {client.meta.region_name: client for client in clients.values()}
        with open_db(ctx, read_only=False) as db:
            summary = ingest_lookup(CloudTrailStore(db), clients, window)
    else:
        objects = expand_sources(sources, CLOUDTRAIL_SUFFIXES)  # s3:// too, once sources has S3
        with open_db(ctx, read_only=False) as db, _file_progress(settings.quiet, len(objects)) as on_progress:
            summary = ingest_cloudtrail(CloudTrailStore(db), objects, window, on_progress, workers=os.cpu_count() or 1)
    _finish_cloudtrail(summary, settings.quiet, strict)


def _finish_cloudtrail(summary: CloudTrailSummary, quiet: bool, strict: bool) -> None:
    if not quiet:
        if summary.rejected:
            click.echo(
                "Rejected records are in the rejects table: "
                "correlate sql \"select source_file, source_line, reason from rejects where kind = 'cloudtrail'\"",
                err=True,
            )
        click.echo(summary.line(), err=True)
    if strict and summary.rejected:
        raise StrictModeFailure(
            f"{summary.rejected:,} records were rejected and --strict was given. "
            "See them with: correlate sql \"select * from rejects where kind = 'cloudtrail'\""
        )


@ingest.command("inventory")
@click.option("--region", "regions", multiple=True, help="Region to describe (repeatable; default: AWS_REGION).")
@click.pass_context
def inventory_command(ctx: click.Context, regions: tuple[str, ...]) -> None:
    """Describe the load balancers, listeners, rules and target groups as they are now.

    The snapshot tells the change model what CloudTrail may not show: which load balancers a target
    group serves, listener ports, the certificates and security groups in use. It replaces the
    previous snapshot of each region, and the changes are rebuilt with it.

    \b
    Example:
      correlate ingest inventory --region us-east-1
    """
    settings = ctx.obj
    with open_db(ctx, read_only=False) as db:
        store = CloudTrailStore(db)
        for region in regions or (None,):
            clients = inventory_clients(region)
            name = clients["elbv2"].meta.region_name
            summary = ingest_inventory(store, name, describe_inventory(clients), utcnow())
            if not settings.quiet:
                click.echo(summary.line(), err=True)


def _finish(summary: IngestSummary, quiet: bool, strict: bool) -> None:
    if not quiet:
        if summary.rejected:
            click.echo(
                "Rejected lines are in the rejects table: "
                'correlate sql "select source_file, source_line, reason from rejects"',
                err=True,
            )
        click.echo(summary.line(), err=True)
    if strict and summary.rejected:
        raise StrictModeFailure(
            f"{summary.rejected:,} lines were rejected and --strict was given. "
            'See them with: correlate sql "select * from rejects"'
        )


@contextmanager
def _file_progress(quiet: bool, total: int) -> Iterator:
    """A bar counting objects on stderr while loading, only when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("CloudTrail files", total=total)

        def update(progress: TrailProgress) -> None:
            bar.update(task, completed=progress.objects)

        yield update


@contextmanager
def _progress(quiet: bool) -> Iterator:
    """A progress bar on stderr while loading, only when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(progress: LoadProgress) -> None:
            if progress.uri not in tasks:
                name = progress.uri.rsplit("/", 1)[-1]
                tasks[progress.uri] = bar.add_task(name[-48:], total=progress.bytes_total or None, rows=0)
            bar.update(tasks[progress.uri], completed=progress.bytes_done, rows=progress.rows)

        yield update


COMMANDS = (ingest,)
