"""Thin Celery tasks: nightly RFM/lifecycle, on-demand recompute, CSV imports."""

from celery import shared_task
from celery.schedules import crontab

from journeys import clock


@shared_task(name="members.recompute_scores")
def recompute_scores():
    from .rfm import recompute

    return recompute(now=clock.now())


@shared_task(name="members.run_import")
def run_import(job_id):
    from . import imports
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).first()
    # A redelivered task finds the job already started or finished and does nothing.
    if job is not None:
        imports.run(job)


# config/celery.py collects this. Scores are recomputed at 03:00 (CELERY_TIMEZONE), off peak.
BEAT_SCHEDULE = lambda tick_seconds: {  # noqa: E731
    "members-recompute-scores": {"task": "members.recompute_scores", "schedule": crontab(hour=3, minute=0)},
}
