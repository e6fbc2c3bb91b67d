"""Retention: keep the two tables that grow with every step (step log, outbox) to a rolling window.

At 1,000,000 members a journey writes a step-log row per node visit and a delivery row per send,
tens of millions of rows a year, while nothing reads old ones except a member's history page.
`prune` deletes, in batches of their own short transactions (so the engine and the sender are
never blocked for long and autovacuum can reclaim the space as it goes):

- step-log rows of enrolments that closed (completed or exited) more than `steplog_days` ago —
  never the trace of an open enrolment, which the engine reads to attribute a late conversion;
- deliveries created more than `delivery_days` ago that are finished (sent, delivered, failed,
  capped) and not leased by a sender, and whose enrolment is closed or gone — never a queued or
  deferred outbox row.

Enrolments, goal conversions and the engine's NodeStat counters are never touched: journey
statistics are counters maintained as steps happen, not counts of these rows, so they read the
same after a prune.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from . import clock
from .models import Enrollment, StepLog

FINISHED_DELIVERY = ("sent", "delivered", "failed", "capped")


@dataclass
class PruneResult:
    steplog: int = 0
    deliveries: int = 0
    dry_run: bool = False


def prunable_steplogs(now, days):
    cutoff = now - timedelta(days=days)
    return StepLog.objects.filter(enrollment__status__in=[Enrollment.Status.COMPLETED, Enrollment.Status.EXITED],
                                  enrollment__finished_at__lt=cutoff)


def prunable_deliveries(now, days):
    from touchpoints.models import Delivery

    cutoff = now - timedelta(days=days)
    return Delivery.objects.filter(status__in=FINISHED_DELIVERY, created_at__lt=cutoff, claimed_at__isnull=True).filter(
        Q(enrollment__isnull=True) | Q(enrollment__status__in=[Enrollment.Status.COMPLETED, Enrollment.Status.EXITED]))


def _delete_in_batches(queryset, batch_size):
    """Delete by primary key, `batch_size` rows per transaction; returns the rows deleted."""
    model, total, last = queryset.model, 0, 0
    while True:
        with transaction.atomic():
            # Resume after the last deleted key: the deleted rows stay as dead tuples until vacuum,
            # and rescanning them from the start on every batch would make a big prune quadratic.
            ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            # Neither model has rows pointing at it or delete signals, so this is one DELETE statement.
            deleted, _ = model.objects.filter(pk__in=ids).delete()
        total, last = total + deleted, ids[-1]


def prune(*, now=None, steplog_days=None, delivery_days=None, batch_size=None, dry_run=False):
    """Delete what is past retention (or, with dry_run, only count it); returns a PruneResult."""
    now = now or clock.now()
    steplogs = prunable_steplogs(now, steplog_days or settings.RETENTION_STEPLOG_DAYS)
    deliveries = prunable_deliveries(now, delivery_days or settings.RETENTION_DELIVERY_DAYS)
    if dry_run:
        return PruneResult(steplog=steplogs.count(), deliveries=deliveries.count(), dry_run=True)
    batch_size = batch_size or settings.PRUNE_BATCH_SIZE
    return PruneResult(steplog=_delete_in_batches(steplogs, batch_size), deliveries=_delete_in_batches(deliveries, batch_size))
