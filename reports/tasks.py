"""Thin Celery tasks: keep the variant rollups and funnel snapshots fresh; automatic promotion."""

from celery import shared_task

from journeys.models import Journey

from . import rollups, services, snapshots
from .models import SplitPolicy

ROLLUP_EVERY_TICKS = 6


def BEAT_SCHEDULE(tick_seconds):  # noqa: N802  (config/celery.py collects this name from every app)
    every = max(30, tick_seconds * ROLLUP_EVERY_TICKS)
    return {
        "reports-refresh-rollups": {"task": "reports.refresh_rollups", "schedule": every},
        "reports-auto-promote": {"task": "reports.auto_promote", "schedule": every},
    }


@shared_task(name="reports.refresh_rollups")
def refresh_rollups(max_age=15):
    """Rebuild live journeys' rollups; one refreshed by a reader or a duplicate beat within
    `max_age` seconds is left alone."""
    refreshed = 0
    for journey in Journey.objects.filter(status=Journey.Status.LIVE).select_related("current_version"):
        rollups.refresh(journey, max_age=max_age)
        refreshed += 1
    return refreshed


@shared_task(name="reports.auto_promote")
def auto_promote():
    journey_ids = SplitPolicy.objects.filter(auto_promote=True).values_list("journey_id", flat=True).distinct()
    promoted = 0
    for journey in Journey.objects.filter(pk__in=journey_ids, status=Journey.Status.LIVE).select_related("current_version"):
        promoted += len(services.auto_promote(journey))
    return promoted


@shared_task(name="reports.refresh_funnel")
def refresh_funnel(journey_id, unit, tz_name, max_age):
    journey = Journey.objects.select_related("current_version").filter(pk=journey_id).first()
    if journey is not None:
        snapshots.compute(journey, unit, tz_name, max_age=max_age)
