"""Nothing lost: the database after a run against what Locust recorded, tenant by tenant.

The locustfile writes, per process, every answer by (tenant, request, status). The
database is read before and after the run (Django's ORM, the run's own settings). What
must hold for every tenant (billing/usage.py and lattices/operations.py say why):

- usage: the monthly counter (`UsageCounter`) grew by exactly the metered calls Locust
  saw answered. Every `/api/lattices...` request is metered once it passed
  authentication, role and suspension checks, whatever its outcome (a 400 or 404
  counts); 401, 402, 403 and 429 are refused before, and a shed 503 never reaches the
  view. A 5xx or an unanswered request may or may not have been counted, so it widens
  the allowed range (and fails the run on its own).
- history: the day's history (`DailyUsage`) grew by the same amount as the counter.
- operations: the stored successful operations (`LatticeOperation`, per kind) grew by the
  2xx answers to that kind's request.
- lattices: the stored lattices grew by the 2xx answers to `POST /api/lattices`.
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Requests as the locustfile records them ("METHOD name"), by what they leave behind.
PRODUCT_API = "/api/lattices"  # every request under it is metered
OPERATIONS = {
    "path": "POST /api/lattices/{id}/path",
    "neighbors": "POST /api/lattices/{id}/neighbors",
}
CREATES_LATTICE = "POST /api/lattices"
NOT_METERED_STATUSES = {401, 402, 403, 429, 503}


def metered(request: str) -> bool:
    return request.partition(" ")[2].startswith(PRODUCT_API)


@dataclass
class LocustRecord:
    """Everything the locust processes wrote: answers per (tenant, name, status)."""

    answers: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)
    shed_without_retry_after: int = 0
    shed_max_ms: float = 0.0

    def statuses(self) -> Counter[int]:
        found: Counter[int] = Counter()
        for (_, _, code), n in self.answers.items():
            found[code] += n
        return found


def read_records(pattern: str) -> LocustRecord:
    record = LocustRecord()
    for path in glob.glob(pattern):
        data = json.loads(Path(path).read_text())
        for row in data["answers"]:
            record.answers[(row["tenant"], row["name"], row["status"])] += row["count"]
        record.unanswered.update(data["unanswered"])
        record.shed_without_retry_after += data["shed"]["without_retry_after"]
        record.shed_max_ms = max(record.shed_max_ms, data["shed"]["max_ms"])
    return record


def snapshot(tenant_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per tenant: usage counter, history, successful operations by kind, lattices."""
    # Imported here: run.py loads this module before it configures Django for the run.
    from django.db import connections
    from django.db.models import Count, Sum

    from billing.models import DailyUsage, UsageCounter
    from lattices.models import Lattice, LatticeOperation

    found: dict[str, dict[str, int]] = {t: Counter() for t in tenant_ids}

    def add(queryset: Any, key: str, total: Any) -> None:
        rows = queryset.filter(tenant_id__in=tenant_ids).values("tenant_id").annotate(n=total)
        for row in rows:
            found[str(row["tenant_id"])][key] += int(row["n"] or 0)

    add(UsageCounter.objects.all(), "usage", Sum("api_calls"))
    add(DailyUsage.objects.all(), "daily", Sum("calls"))
    add(Lattice.objects.all(), "lattices", Count("id"))
    succeeded = LatticeOperation.objects.filter(status=LatticeOperation.Status.SUCCEEDED)
    for kind in OPERATIONS:
        add(succeeded.filter(kind=kind), f"ops:{kind}", Count("id"))
    connections.close_all()  # hold no backend during the run
    return {t: dict(v) for t, v in found.items()}


def _answered(record: LocustRecord, tenant: str, wanted: Any) -> tuple[int, int, int]:
    """(certainly recorded, 2xx, maybe recorded) answers to requests `wanted(request)`."""
    certain = ok = maybe = 0
    for (who, request, code), n in record.answers.items():
        if who != tenant or not wanted(request):
            continue
        if 200 <= code < 300:
            ok += n
        if code == 0 or (code >= 500 and code != 503):
            maybe += n
        elif code not in NOT_METERED_STATUSES:
            certain += n
    return certain, ok, maybe


def compare(
    before: dict[str, dict[str, int]],
    after: dict[str, dict[str, int]],
    record: LocustRecord,
) -> dict[str, Any]:
    """The database's growth against Locust's answers: totals and every mismatch."""
    mismatches: list[str] = []
    totals: Counter[str] = Counter()
    for tenant in after:
        keys = ("usage", "daily", "lattices", *(f"ops:{k}" for k in OPERATIONS))
        grew = {key: after[tenant].get(key, 0) - before[tenant].get(key, 0) for key in keys}
        certain, ok, maybe = _answered(record, tenant, metered)
        totals["metered_answers"] += certain
        totals["counted"] += grew["usage"]
        if not certain <= grew["usage"] <= certain + maybe:
            span = f"{certain}" if not maybe else f"{certain} to {certain + maybe}"
            mismatches.append(
                f"tenant {tenant}: usage counter grew by {grew['usage']}, Locust saw {span} "
                "metered calls answered"
            )
        if grew["daily"] != grew["usage"]:
            mismatches.append(
                f"tenant {tenant}: daily history grew by {grew['daily']}, "
                f"the counter by {grew['usage']}"
            )
        for kind, name in OPERATIONS.items():
            _, ok, maybe = _answered(record, tenant, lambda request, name=name: request == name)
            stored = grew[f"ops:{kind}"]
            totals["operations_2xx"] += ok
            totals["operations_stored"] += stored
            if not ok <= stored <= ok + maybe:
                mismatches.append(
                    f"tenant {tenant}: {stored} successful {kind} operations stored, "
                    f"Locust saw {ok} answered 2xx"
                )
        _, created, maybe = _answered(record, tenant, lambda request: request == CREATES_LATTICE)
        totals["lattices_created"] += created
        if not created <= grew["lattices"] <= created + maybe:
            mismatches.append(
                f"tenant {tenant}: {grew['lattices']} more lattices stored, Locust saw "
                f"{created} created"
            )
    return {**totals, "mismatches": mismatches, "nothing_lost": not mismatches}
