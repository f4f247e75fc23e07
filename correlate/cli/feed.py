"""`correlate ingest changes`: change events of other systems (deploys, flags, ...) into `changes`."""

from __future__ import annotations

import sys

import click

from correlate.cli.options import open_db, report_load
from correlate.pipeline.changes import STDIN_SOURCE, ChangesOptions, load_changes
from correlate.store.feed import KIND


@click.command("changes")
@click.argument("sources", nargs=-1, required=True)
@click.option("--profile", help="Named AWS profile for s3:// sources (default: AWS_PROFILE, or boto3's default chain).")
@click.option("--strict", is_flag=True, help="Exit with status 4 when any record was rejected (the rest is loaded).")
@click.pass_context
def changes_command(ctx: click.Context, sources: tuple[str, ...], profile: str | None, strict: bool) -> None:
    """Load change events of other systems: deploys, config pushes, feature flags, scaling, infra.

    SOURCE is a file of JSON lines, a JSON array of events, or CSV with a header row (.jsonl,
    .ndjson, .json, .csv, gzipped or not), a directory (searched recursively), a glob, an
    s3://bucket/prefix, or - for standard input. Each event needs `time` (ISO 8601); `kind` (deploy,
    config, feature-flag, scaling, infra, other), `summary`, `actor`, `source`, `id`, `url`,
    `end_time` and the scope hints `lb`, `target_group`, `targets` (ip:port), `service` and
    `listener_port` are optional, and other fields are kept in `details`. The schema and jq recipes
    for GitHub, Argo CD and CI jobs: docs/changes.md.

    The events land in `changes` with origin = 'feed', on the load balancers their hints reach (an
    event without a hint: on every load balancer, scored as less certain), and the timeline ranks
    them with the CloudTrail changes. An event loaded again (same id, or without an id the same
    content) replaces its copy; a file loaded before unchanged is skipped. Records that cannot be
    loaded go to the rejects table with their file and line.

    \b
    Example:
      correlate ingest changes deploys.jsonl
      correlate ingest changes ./feeds/ flags.csv
      jq -c '.[] | {time: .created_at, kind: "deploy", id: .node_id}' out.json | correlate ingest changes -
    """
    settings = ctx.obj
    if sources.count(STDIN_SOURCE) > 1:
        raise click.UsageError("Give - (standard input) once.")
    options = ChangesOptions(sources, sys.stdin.buffer, profile)
    with open_db(ctx, read_only=False) as db:
        summary = load_changes(db, options)
    report_load(summary.line(), summary.rejected, settings.quiet, strict, "records", KIND)
