"""Thin Celery tasks: `tick` enrols scheduled entries and fans out one `advance_shard` per shard.

Claiming is exclusive (SKIP LOCKED, unique step keys), so a duplicate beat, a retried task or two
workers on one shard never step anyone twice. Waits live in the database, never in the broker.
"""

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime

from . import clock, engine, entry, retention


def BEAT_SCHEDULE(tick_seconds):  # noqa: N802  (config/celery.py collects this name from every app)
    return {"journeys-tick": {"task": "journeys.tick", "schedule": float(tick_seconds)},
            # Nightly, after members' 03:00 scores, when the engine's batches are smallest.
            "journeys-prune": {"task": "journeys.prune", "schedule": crontab(hour=4, minute=0)}}


def run_tick(now, *, shards=None):
    """The whole tick synchronously (manage.py tick); the Celery task runs the same steps per shard."""
    with clock.frozen(now):
        enrolled = enroll_scheduled(now)
        steps = sum(engine.advance(shard, now=now) for shard in (shards if shards is not None else range(settings.ENGINE_SHARDS)))
    return enrolled, steps


def enroll_scheduled(now):
    with transaction.atomic():
        return entry.enroll_scheduled(now)


@shared_task(name="journeys.tick", ignore_result=True)
def tick(at=None):
    now = parse_datetime(at) if at else clock.now()
    with clock.frozen(now):
        enroll_scheduled(now)
    for shard in range(settings.ENGINE_SHARDS):
        advance_shard.delay(shard, now.isoformat())


@shared_task(name="journeys.advance_shard", ignore_result=True, acks_late=True)
def advance_shard(shard, at):
    now = parse_datetime(at)
    with clock.frozen(now):
        return engine.advance(shard, now=now)


@shared_task(name="journeys.prune", ignore_result=True)
def prune():
    """Retention (journeys.retention): batches of their own transactions, safe to run twice."""
    result = retention.prune()
    return {"steplog": result.steplog, "deliveries": result.deliveries}
