"""The naive design, measured: one Celery task per member per step, next to the set-based engine.

    python -m bench.naive --members 5000

Many journey tools run one job per member per step (a Celery task, a Sidekiq job, a Bull job).
This bench builds the same world as bench.engine (the onboarding journey, N members due at the
`nudge1` send node, twice), then moves one copy through the send step with one Celery task per
member — executed by a real `celery worker` (prefork, one process per core) over the real Redis
broker — and the other copy with `journeys.engine.advance`, and prints both rates and the ratio.

The per-member task is written the way such a design is written in good faith: one short
transaction per member that locks the enrolment, writes the step-log row, the outbox delivery
and the counters, and moves the enrolment on. Nothing in it is deliberately slow.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from celery import shared_task

from bench.engine import NOW, create_world, engine_run, setup_django
from bench import create_bench_database, drop_bench_database

ROOT = Path(__file__).resolve().parent.parent


@shared_task(name="bench.naive_step", ignore_result=True)
def naive_step(enrollment_id):
    """The send step for ONE member, as a per-member job design does it."""
    from django.db import transaction
    from django.db.models import F

    from journeys.models import Enrollment, NodeStat, StepLog
    from touchpoints.models import Channel, Delivery, Template

    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment_id)
        if enrollment.node_key != "nudge1" or enrollment.status not in Enrollment.OPEN or enrollment.due_at > NOW:
            return
        StepLog.objects.create(enrollment=enrollment, journey_id=enrollment.journey_id, version_id=enrollment.version_id,
                               member_id=enrollment.member_id, node_key="nudge1", visit=enrollment.visit,
                               arrived_at=NOW, left_at=NOW, branch="next")
        Delivery.objects.create(enrollment=enrollment, member_id=enrollment.member_id, journey_id=enrollment.journey_id,
                                version_id=enrollment.version_id, node_key="nudge1", visit=enrollment.visit,
                                variant=f"ab:{enrollment.assignments.get('ab', '')}",
                                channel=Channel.objects.get(key="sms"), template=Template.objects.get(slug="welcome-coupon"),
                                priority=10, scheduled_at=NOW, created_at=NOW)
        for node_key, metric, delta in (("nudge1", "active", -1), ("nudge1", "branch:next", 1), ("w1", "entered", 1),
                                        ("w1", "active", 1)):
            stat, _ = NodeStat.objects.get_or_create(journey_id=enrollment.journey_id, version_id=enrollment.version_id,
                                                     node_key=node_key, metric=metric)
            NodeStat.objects.filter(pk=stat.pk).update(count=F("count") + delta)
        enrollment.node_key, enrollment.visit, enrollment.status = "w1", enrollment.visit + 1, "waiting"
        enrollment.waiting_for, enrollment.node_entered_at = "order_paid", NOW
        enrollment.due_at = NOW + __import__("datetime").timedelta(days=4)
        enrollment.save(update_fields=["node_key", "visit", "status", "waiting_for", "node_entered_at", "due_at"])


def naive_run(journey, database_name, concurrency):
    """Enqueue one task per due member and time a real worker until every member has moved."""
    from django.db import connection

    from config.celery import app
    from journeys.models import Enrollment

    ids = list(Enrollment.objects.filter(journey=journey, node_key="nudge1").values_list("pk", flat=True))
    queue = f"bench-naive-{uuid.uuid4().hex[:6]}"
    settings = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
                                         f"{settings['PORT'] or 5432}/{database_name}"}
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / f"{queue}.log", "wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-I", "bench.naive", "-Q", queue, "--pool=prefork",
         f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "--loglevel=warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(3)  # let the worker connect before the clock starts, as a long-running worker would be
        started = time.perf_counter()
        with app.producer_pool.acquire(block=True) as producer:
            for pk in ids:
                naive_step.apply_async(args=[pk], queue=queue, producer=producer)
        while Enrollment.objects.filter(journey=journey, node_key="nudge1").exists():
            if worker.poll() is not None:
                raise SystemExit(f"the naive worker died; see var/{queue}.log")
            time.sleep(0.2)
        return len(ids), time.perf_counter() - started
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        log.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5000, help="sample size for both designs")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for each design (2 cores here)")
    args = parser.parse_args(argv)

    setup_django()
    from journeys.models import Enrollment
    from touchpoints.models import Delivery

    database = create_bench_database("naive")
    try:
        print(f"database {database}: {args.members:,} members at the send node, twice …")
        naive_journey, engine_journey = create_world(args.members)
        naive_members, naive_seconds = naive_run(naive_journey, database, args.workers)
        engine_members_handled, engine_seconds = engine_run(args.workers, 2000)
        engine_members = Enrollment.objects.filter(journey=engine_journey, node_key="w1").count()
        for journey in (naive_journey, engine_journey):
            assert Delivery.objects.filter(journey=journey).count() == args.members
        naive_rate, engine_rate = naive_members / naive_seconds, engine_members / engine_seconds
        print(f"  naive: one Celery task per member ({args.workers} worker processes): {naive_members:>8,} member-steps "
              f"in {naive_seconds:7.2f} s = {naive_rate:>9,.0f} /s")
        print(f"  set-based engine ({args.workers} processes):                  {engine_members:>8,} member-steps "
              f"in {engine_seconds:7.2f} s = {engine_rate:>9,.0f} /s")
        print(f"  engine / naive: {engine_rate / naive_rate:.1f}x   (target: ≥ 50x)")
        print("RESULT " + __import__("json").dumps({"bench": "naive", "members": args.members, "naive_per_s": round(naive_rate),
                                                    "engine_per_s": round(engine_rate), "ratio": round(engine_rate / naive_rate, 1)}))
    finally:
        drop_bench_database(database)


if __name__ == "__main__":
    main()
