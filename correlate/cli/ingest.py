"""`correlate ingest logs`, `correlate ingest cloudtrail` and `correlate ingest inventory`; the ingest
group also holds `ingest metrics` (cli/metrics.py) and `ingest changes` (cli/feed.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich import filesize
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from correlate.cli.options import TIME, aws_options, lb_option, open_db, report_load, window_options
from correlate.errors import WrongCommand
from correlate.pipeline.cloudtrail import (
    CloudTrailSummary,
    ingest_cloudtrail,
    ingest_lookup,
    trail_objects,
)
from correlate.pipeline.cloudtrail import Progress as TrailProgress
from correlate.pipeline.inventory import ingest_inventory
from correlate.pipeline.logs import DEFAULT_WORKERS, IngestSummary, LogsOptions, load_logs
from correlate.pipeline.logs import Progress as LoadProgress
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.inventory import describe_inventory, inventory_region
from correlate.sources.lookup import lookup_clients
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.logs import RowFilter
from correlate.timeparse import Window, utcnow

_ = TIME  # re-exported option type, used by window_options


@click.group()
def ingest() -> None:
    """Load access logs, CloudTrail records, an inventory, metrics or change events into the database.

    \b
    Example:
      correlate ingest logs ./AWSLogs/ --since 2026-11-20T13:00Z
      correlate ingest cloudtrail ./trail/
      correlate ingest inventory --region us-east-1
      correlate ingest changes deploys.jsonl
    """


@ingest.command("logs")
@click.argument("sources", nargs=-1)
@window_options
@lb_option(required=False)
@aws_options
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Objects downloaded and decompressed at once.",
)
@click.option("--strict", is_flag=True, help="Exit with status 4 when any line was rejected (the rest is loaded).")
@click.pass_context
def logs_command(
    ctx: click.Context, sources: tuple[str, ...], since, until, lb, profile, region, workers: int, strict: bool
) -> None:
    """Load ALB, Classic ELB and NLB access logs, ALB connection and health-check logs.

    SOURCE is a file, a directory (searched recursively for *.log and *.log.gz), a glob, or an
    s3://bucket/prefix (any level: the bucket, a prefix before AWSLogs/, an account, region or day
    folder, or one object). With --lb and no SOURCE, the load balancer's log location is read from
    its attributes in AWS. S3 credentials come from boto3's chain (--profile, AWS_PROFILE,
    environment, instance role); AWS_ENDPOINT_URL points at S3-compatible stores.

    With --since/--until, only the S3 day folders and files whose names can hold rows of the window
    are listed and read; with --lb, only that load balancer's files. Rows are kept by their own
    timestamps. Re-running loads nothing twice (a changed object is reloaded), and a run that was
    interrupted continues where it stopped. Lines that cannot be loaded go to the rejects table
    with their file, line number and reason. A CloudTrail file is not loaded: it is named with the
    command that loads it (exit 1 when every file is one).

    \b
    Example:
      correlate ingest logs ./AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/20/
      correlate ingest logs 'logs/**/*.log.gz' --lb web-prod --since 6h
      correlate ingest logs s3://my-logs/AWSLogs/ --since 2026-11-20T13:00Z --until 2026-11-20T15:00Z
      correlate ingest logs --lb web-prod --since 2h --region eu-west-1
    """
    settings = ctx.obj
    if not sources and lb is None:
        raise click.UsageError("Pass SOURCE (files, directories, globs, s3://bucket/prefix), or --lb NAME.")
    row_filter = RowFilter(since=since, until=until, lb=lb)
    options = LogsOptions(sources=sources, row_filter=row_filter, workers=workers, profile=profile, region=region)
    with open_db(ctx, read_only=False) as db, _progress(settings.quiet) as on_progress:
        summary = load_logs(db, options, on_progress, on_note=None if settings.quiet else _say)
    _finish(summary, settings.quiet, strict)


def _say(text: str) -> None:
    click.echo(text, err=True)


@ingest.command("cloudtrail")
@click.argument("sources", nargs=-1)
@click.option("--lookup", is_flag=True, help="Read events through the LookupEvents API instead of files.")
@click.option(
    "--region", "regions", multiple=True, help="With --lookup: a region to look up (repeatable; default: AWS_REGION)."
)
@click.option(
    "--profile",
    help="Named AWS profile for s3:// sources and --lookup (default: AWS_PROFILE, or boto3's default chain).",
)
@window_options
@click.option("--strict", is_flag=True, help="Exit with status 4 when any record was rejected (the rest is loaded).")
@click.pass_context
def cloudtrail_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    lookup: bool,
    regions: tuple[str, ...],
    profile: str | None,
    since,
    until,
    strict: bool,
) -> None:
    """Load CloudTrail records and rebuild the configuration changes of each load balancer.

    SOURCE is a trail file ({"Records": [...]}, .json or .json.gz), a JSON-lines file, an array of
    records, EventBridge events, saved `aws cloudtrail lookup-events` output, a directory (searched
    recursively), a glob, or an s3://bucket/prefix of a trail (any level: the bucket, AWSLogs/,
    an account or organisation, a region or day folder). CloudTrail-Digest and CloudTrail-Insight
    objects are skipped. With --since/--until, only the S3 day folders and files whose delivery time
    can hold events of the window are read. Only Elastic Load Balancing events and related changes
    (certificates, security groups, network ACLs, WAF, Auto Scaling, ECS services, CodeDeploy
    deployments, Lambda functions behind target groups, instance settings) are kept; the rest is
    counted.
    The same event loaded twice is stored once. An access-log file is not loaded: it is named with
    the command that loads it (exit 1 when every file is one).

    With --lookup, events come from the LookupEvents API (last 90 days) in each --region.

    \b
    Example:
      correlate ingest cloudtrail ./AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/
      correlate ingest cloudtrail events.jsonl saved-lookup.json
      correlate ingest cloudtrail s3://my-trail/AWSLogs/ --since 2026-11-20 --until 2026-11-21
      correlate ingest cloudtrail --lookup --region us-east-1 --region eu-west-1 --since 2d
      correlate ingest cloudtrail --lookup --profile audit --region us-east-1
    """
    settings = ctx.obj
    window = Window(since=since, until=until)
    if lookup and sources:
        raise click.UsageError("Give either SOURCE arguments or --lookup, not both.")
    if not lookup and not sources:
        raise click.UsageError("Give at least one SOURCE (a file, directory, glob or s3:// prefix), or --lookup.")
    if regions and not lookup:
        raise click.UsageError("--region goes with --lookup.")
    aws = AwsClients(AwsOptions(profile=profile))
    if lookup:
        clients = lookup_clients(aws, regions)
        with open_db(ctx, read_only=False) as db:
            summary = ingest_lookup(CloudTrailStore(db), clients, window)
    else:
        objects = list(trail_objects(sources, window, aws))
        with open_db(ctx, read_only=False) as db, _file_progress(settings.quiet, len(objects)) as on_progress:
            summary = ingest_cloudtrail(CloudTrailStore(db), objects, window, on_progress, workers=os.cpu_count() or 1)
    _finish(summary, settings.quiet, strict)


@ingest.command("inventory")
@click.option("--region", "regions", multiple=True, help="Region to describe (repeatable; default: AWS_REGION).")
@click.option("--profile", help="Named AWS profile (default: AWS_PROFILE, or boto3's default chain).")
@click.pass_context
def inventory_command(ctx: click.Context, regions: tuple[str, ...], profile: str | None) -> None:
    """Describe the load balancers, listeners, rules, target groups and Auto Scaling groups as they are now.

    The snapshot tells the change model what CloudTrail may not show: which load balancers a target
    group serves, listener ports, the certificates and security groups in use. It replaces the
    previous snapshot of each region, and the changes are rebuilt with it.

    \b
    Example:
      correlate ingest inventory --region us-east-1
      correlate ingest inventory --profile prod --region us-east-1 --region eu-west-1
    """
    settings = ctx.obj
    aws = AwsClients(AwsOptions(profile=profile))
    names = [inventory_region(aws, region) for region in regions or (None,)]
    with open_db(ctx, read_only=False) as db:
        store = CloudTrailStore(db)
        for name in dict.fromkeys(names):
            summary = ingest_inventory(store, name, describe_inventory(aws, name), utcnow())
            if not settings.quiet:
                click.echo(summary.line(), err=True)


def _finish(summary: IngestSummary | CloudTrailSummary, quiet: bool, strict: bool) -> None:
    """The summary on stderr, after the line naming files of the other command's kind and where the
    rejects are. Exit 1 when every file was of the other kind, or with --strict when any line or
    record was rejected."""
    hint = summary.other_kind_line()
    if hint is not None and summary.all_other_kind:
        raise WrongCommand(hint)
    if not quiet and hint is not None:
        click.echo(hint, err=True)
    unit, kind = ("records", "cloudtrail") if isinstance(summary, CloudTrailSummary) else ("lines", None)
    report_load(summary.line(), summary.rejected, quiet, strict, unit, kind)


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
    """One progress bar on stderr while loading (objects, bytes, rows), only on a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} objects"),
        TextColumn("{task.fields[size]}"),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("loading", total=0, size="0 bytes", rows=0, current="")

        def update(progress: LoadProgress) -> None:
            bar.update(
                task,
                completed=progress.objects_done,
                total=progress.objects_seen,
                size=filesize.decimal(progress.bytes_read),
                rows=progress.rows,
                current=progress.current.rsplit("/", 1)[-1][-48:],
            )

        yield update


def _register_commands() -> None:
    """The ingest commands that have a module of their own."""
    from correlate.cli.feed import changes_command
    from correlate.cli.metrics import metrics_command

    ingest.add_command(metrics_command)
    ingest.add_command(changes_command)


_register_commands()
