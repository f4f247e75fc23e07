"""`correlate ingest logs` and `correlate ingest cloudtrail`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from correlate.cli.options import TIME, lb_option, open_db, window_options
from correlate.errors import StrictModeFailure
from correlate.pipeline.logs import LOG_SUFFIXES, IngestSummary, ingest_logs
from correlate.pipeline.logs import Progress as LoadProgress
from correlate.sources import expand_sources
from correlate.store.logs import LogStore, RowFilter

_ = TIME  # re-exported option type, used by window_options


@click.group()
def ingest() -> None:
    """Load access logs or CloudTrail records into the database.

    \b
    Example:
      correlate ingest logs ./AWSLogs/ --since 2026-11-20T13:00Z
      correlate ingest cloudtrail ./trail/
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
    _finish(summary, settings.quiet, strict)


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
