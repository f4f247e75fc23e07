"""`correlate ingest metrics`: CloudWatch's one-minute ELB metrics into metrics_minute."""

from __future__ import annotations

import click

from correlate.cli.options import aws_options, open_db, window_options
from correlate.pipeline.metrics import MetricsRequest, ingest_metric_files, ingest_metrics
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.store.metrics import MetricsStore
from correlate.timeparse import utcnow


@click.command("metrics")
@click.argument("files", nargs=-1)
@click.option("--lb", help="Load balancer: its name, app/NAME/ID, net/NAME/ID, or its ARN.")
@window_options
@aws_options
@click.pass_context
def metrics_command(ctx: click.Context, files: tuple[str, ...], lb, since, until, profile, region) -> None:
    """Load a load balancer's one-minute CloudWatch metrics into the metrics_minute table.

    With --lb, the load balancer and its target groups and zones are found through the Describe*
    APIs, and GetMetricData reads the window's minutes (--since; --until defaults to now): request,
    error and TLS-error counts, latency percentiles, healthy and unhealthy host counts, surge queue,
    flows and resets, as the load balancer's type publishes them (see docs/metrics.md). CloudWatch
    keeps one-minute data for 15 days. Re-running over the same or an overlapping window adds no
    rows: the minutes already loaded take CloudWatch's latest values.

    FILE is a saved GetMetricData exchange instead: one JSON object (.json or .json.gz; directories
    and globs too) with the request's MetricDataQueries beside the responses' MetricDataResults.

    A permission that is missing for one API, partial data, and metrics without datapoints are
    each said in one line, and what could be read is loaded; the command fails only when nothing
    could be read. IAM: elasticloadbalancing:DescribeLoadBalancers, elasticloadbalancing:DescribeTargetGroups,
    cloudwatch:GetMetricData.

    \b
    Example:
      correlate ingest metrics --lb web-prod --since 2h
      correlate ingest metrics --lb web-prod --since 2026-11-20T13:00Z --until 2026-11-20T15:00Z --region eu-west-1
      correlate ingest metrics --lb app/web-prod/50dc6c495c0c9188 --since 6h --profile prod
      correlate ingest metrics saved-metric-data.json
    """
    settings = ctx.obj
    if files and (lb or since or until or region or profile):
        raise click.UsageError("Give either FILE arguments or --lb with --since, not both.")
    if not files and (lb is None or since is None):
        raise click.UsageError("Pass --lb NAME and --since T (CloudWatch), or FILE (saved GetMetricData output).")

    def say(text: str) -> None:
        click.echo(text, err=True)

    with open_db(ctx, read_only=False) as db:
        store = MetricsStore(db)
        if files:
            summary = ingest_metric_files(store, files, say)
        else:
            aws = AwsClients(AwsOptions(profile=profile, region=region))
            summary = ingest_metrics(store, aws, MetricsRequest(lb, since, until or utcnow(), region), say)
    if not settings.quiet:
        click.echo(summary.line(), err=True)
