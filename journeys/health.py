"""Stuck work: what no tick or sender pass has reached in time, and how to resume it.

An enrolment is stuck when it has been due for longer than `STUCK_AFTER_MINUTES` in a live
journey (workers or beat down, a shard nobody serves). A delivery is stuck when its sender's lease
expired (`touchpoints.sender.LEASE`: the sender died between claiming and recording). Resuming
calls the engine and the sender themselves — nothing here writes enrolment or delivery state.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.shortcuts import render

from accounts.permissions import role_required
from touchpoints import sender
from touchpoints.models import Delivery

from . import clock, engine
from .models import Enrollment, Journey

SAMPLE = 50


STUCK_AFTER_MINUTES = 15  # the default of settings.STUCK_AFTER_MINUTES


def threshold_minutes():
    return getattr(settings, "STUCK_AFTER_MINUTES", STUCK_AFTER_MINUTES)


def threshold():
    return timedelta(minutes=threshold_minutes())


def stuck_enrollments(now):
    return Enrollment.objects.filter(status__in=Enrollment.OPEN, due_at__lt=now - threshold(),
                                     journey__status=Journey.Status.LIVE)


def expired_leases(now):
    return Delivery.objects.filter(status__in=(Delivery.Status.QUEUED, Delivery.Status.DEFERRED),
                                   claimed_at__lt=now - sender.LEASE)


def report(now):
    """Counts per journey and node, oldest due first, and the deliveries whose lease expired."""
    by_node = list(stuck_enrollments(now).values("journey_id", "journey__name", "node_key")
                   .annotate(count=Count("id"), oldest=Min("due_at")).order_by("oldest")[:SAMPLE])
    leases = expired_leases(now)
    return {
        "now": now,
        "threshold_minutes": threshold_minutes(),
        "enrollments": by_node,
        "enrollment_total": stuck_enrollments(now).count(),
        "lease_total": leases.count(),
        "leases": list(leases.select_related("channel").order_by("claimed_at")[:SAMPLE]),
    }


def resume(now):
    """Advance the shards holding stuck enrolments and run one sender pass for expired leases.

    Returns (engine steps, sender outcome or None). Claims stay exclusive (SKIP LOCKED in both), so
    running this beside live workers steps and sends nobody twice.
    """
    shards = sorted(set(stuck_enrollments(now).values_list("shard", flat=True)))
    with clock.frozen(now):
        steps = sum(engine.advance(shard, now=now) for shard in shards)
        sent = sender.run() if expired_leases(now).exists() else None
    return steps, sent


@role_required()
def health_page(request):
    return render(request, "journeys/health.html", report(clock.now()))
