"""`correlate ingest inventory`: Describe* output → the inventory table → changes rebuilt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from correlate.model.changes import InventoryItem
from correlate.parse.arns import parse_elb_arn
from correlate.pipeline.changes import rebuild_changes
from correlate.sources.inventory import Resource
from correlate.store.cloudtrail import CloudTrailStore


@dataclass
class InventorySummary:
    region: str
    by_type: dict[str, int] = field(default_factory=dict)
    changes: int = 0

    def line(self) -> str:
        counts = ", ".join(f"{count:,} {kind.replace('_', ' ')}s" for kind, count in sorted(self.by_type.items()))
        found = counts or "no load balancers"
        return f"inventory of {self.region}: {found}; {self.changes:,} changes after the rebuild"


def ingest_inventory(
    store: CloudTrailStore, region: str, resources: Iterable[Resource], taken_at: dt.datetime
) -> InventorySummary:
    """Replace the region's snapshot with `resources`, then rebuild `changes` with it."""
    summary = InventorySummary(region)
    items: list[InventoryItem] = []
    account = None
    for kind, arn, lb, data in resources:
        items.append(InventoryItem(taken_at, kind, arn, lb, data))
        summary.by_type[kind] = summary.by_type.get(kind, 0) + 1
        resource = parse_elb_arn(arn) if arn.startswith("arn:") else None
        account = account or (resource.account if resource else None)
    store.replace_inventory(account, region, items)
    summary.changes = rebuild_changes(store)
    return summary
