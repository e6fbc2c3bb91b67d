"""Thin Celery task: one sender pass. Safe to run twice at once (SKIP LOCKED batches, leases)."""

from celery import shared_task

from . import sender


@shared_task(name="touchpoints.send_due", ignore_result=True)
def send_due():
    stats = sender.run()
    return {"sent": stats.sent, "failed": stats.failed, "capped": stats.capped, "deferred": stats.deferred}


def BEAT_SCHEDULE(tick_seconds):  # noqa: N802 — the name config/celery.py collects
    return {"touchpoints.send-due": {"task": "touchpoints.send_due", "schedule": float(tick_seconds)}}
