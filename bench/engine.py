"""Engine step throughput on PostgreSQL: the real engine versus one hand-written SQL statement.

    python -m bench.engine --members 1000000 [--workers 2] [--batch 2000]

Builds a throw-away database (test_<DATABASE_URL's name>, dropped at the end), publishes the
onboarding journey twice, puts N enrolments of each at the `nudge1` send node (due now), then:

1. SQL floor: ONE statement moves the first journey's members through the send step — the
   enrolment update (to the w1 wait, due in 4 days), a step-log row, a queued delivery and the
   node counters, exactly the rows the engine writes for that step.
2. Engine: `journeys.engine.advance` moves the second journey's members through the same step,
   one process per worker, each taking its share of the engine shards (as Celery workers do).

Both figures are member-steps per second (a member passing the send node into the wait).
"""

import argparse
import json
import multiprocessing
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from bench import create_bench_database, drop_bench_database

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
# The gallery copy ships with the repository (a newcomer's clone has no ../shared).
ONBOARDING = Path(__file__).resolve().parents[1] / "journeys" / "gallery" / "onboarding.journey.json"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def create_world(members, names=("SQL floor", "Engine"), now=NOW):
    """Channels, templates, one published onboarding journey per name and `members` enrolments of each at nudge1, due `now`."""
    from django.conf import settings
    from django.db import connection

    from journeys import services
    from touchpoints.models import Channel, Template

    sms = Channel.objects.create(key="sms", name="SMS", kind="sms")
    wechat = Channel.objects.create(key="wechat", name="WeChat", kind="wechat_template")
    for slug, channel in (("welcome-coupon", sms), ("last-chance", sms), ("coupon-expiring", wechat),
                          ("second-order-coupon", wechat)):
        Template.objects.create(slug=slug, channel=channel, body="Hi {{ member.name }}")
    document = json.loads(ONBOARDING.read_text())
    journeys = []
    for name in names:
        journey = services.journey_create(document={**document, "name": f"Bench: {name}"})
        services.journey_publish(journey)
        journey.refresh_from_db()
        journeys.append(journey)
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO members_member (external_id, name, phone, email, wechat_openid, miniprogram_openid,
                              attributes, timezone, points, opted_out, rfm_group, rfm_scores, lifecycle_stage, created_at, updated_at)
                          SELECT 'bench-' || i, '', '', '', '', '', '{}', '', 0, '[]', '', '', '', %s, %s
                          FROM generate_series(1, %s) AS i""", [now, now, members])
        for journey in journeys:
            cursor.execute("""INSERT INTO journeys_enrollment (journey_id, version_id, member_id, status, node_key, visit, due_at,
                                  waiting_for, shard, assignments, enrolled_at, node_entered_at, exit_reason)
                              SELECT %s, %s, id, 'active', 'nudge1', 5, %s, '', id %% %s, '{"ab": "day2"}', %s, %s, ''
                              FROM members_member""",
                           [journey.pk, journey.current_version_id, now, settings.ENGINE_SHARDS, now, now])
        cursor.execute("ANALYZE")
    return journeys


def sql_floor(journey):
    """One statement doing the send step for every due member of `journey`; returns (members, seconds)."""
    from django.db import connection, transaction

    from touchpoints.models import Channel, Template

    channel = Channel.objects.get(key="sms").pk
    template = Template.objects.get(slug="welcome-coupon").pk
    statement = """
        WITH moved AS (
            UPDATE journeys_enrollment e
               SET node_key = 'w1', visit = e.visit + 1, status = 'waiting', waiting_for = 'order_paid',
                   due_at = %(now)s + interval '4 days', node_entered_at = %(now)s
             WHERE e.journey_id = %(journey)s AND e.status IN ('active', 'waiting') AND e.due_at <= %(now)s
               AND e.node_key = 'nudge1'
         RETURNING e.id, e.member_id, e.version_id, e.visit, e.assignments
        ), logged AS (
            INSERT INTO journeys_steplog (enrollment_id, journey_id, version_id, member_id, node_key, visit, arrived_at, left_at, branch, note)
            SELECT id, %(journey)s, version_id, member_id, 'nudge1', visit - 1, %(now)s, %(now)s, 'next', '' FROM moved
        ), queued AS (
            INSERT INTO touchpoints_delivery (kind, enrollment_id, member_id, journey_id, version_id, node_key, visit, variant,
                channel_id, template_id, payload, priority, status, reason, scheduled_at, attempts, provider_message_id, cost,
                rendered, created_at)
            SELECT 'message', id, member_id, %(journey)s, version_id, 'nudge1', visit - 1, 'ab:' || (assignments ->> 'ab'),
                   %(channel)s, %(template)s, '{}', 10, 'queued', '', %(now)s, 0, '', 0, '{}', %(now)s FROM moved
        )
        INSERT INTO journeys_nodestat (journey_id, version_id, node_key, metric, count)
        SELECT %(journey)s, version_id, k.node_key, k.metric, k.sign * count(*)
          FROM moved CROSS JOIN (VALUES ('nudge1', 'active', -1), ('nudge1', 'branch:next', 1), ('w1', 'entered', 1),
                                        ('w1', 'active', 1)) AS k(node_key, metric, sign)
         GROUP BY version_id, k.node_key, k.metric, k.sign
        ON CONFLICT (version_id, node_key, metric) DO UPDATE SET count = journeys_nodestat.count + excluded.count
        RETURNING count
    """
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, {"now": NOW, "journey": journey.pk, "channel": channel, "template": template})
    elapsed = time.perf_counter() - started
    from journeys.models import Enrollment

    return Enrollment.objects.filter(journey=journey, node_key="w1").count(), elapsed


def _engine_worker(shards, batch, queue):
    # Forked after django.setup() and the test database switch: only a fresh connection is needed.
    from journeys import clock, engine

    with clock.frozen(NOW):
        steps = sum(engine.advance(shard, now=NOW, batch_size=batch) for shard in shards)
    queue.put(steps)


def engine_run(workers, batch):
    from django.conf import settings
    from django.db import connection

    connection.close()  # children open their own connections
    shards = list(range(settings.ENGINE_SHARDS))
    queue = multiprocessing.get_context("fork").Queue()
    processes = [multiprocessing.get_context("fork").Process(target=_engine_worker,
                                                                args=(shards[i::workers], batch, queue))
                 for i in range(workers)]
    started = time.perf_counter()
    for process in processes:
        process.start()
    handled = sum(queue.get() for _ in processes)
    for process in processes:
        process.join()
    return handled, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="engine processes (the machine has 2 cores)")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)

    setup_django()
    from journeys.models import Enrollment, NodeStat
    from touchpoints.models import Delivery

    database = create_bench_database("engine")
    try:
        print(f"database {database}: enrolling {args.members:,} members at the send node of two onboarding journeys …")
        t0 = time.perf_counter()
        floor_journey, engine_journey = create_world(args.members)
        print(f"  set-up took {time.perf_counter() - t0:.1f} s")

        sql_members, sql_seconds = sql_floor(floor_journey)
        handled, engine_seconds = engine_run(args.workers, args.batch)
        moved = Enrollment.objects.filter(journey=engine_journey, node_key="w1", status="waiting").count()
        deliveries = Delivery.objects.filter(journey=engine_journey).count()
        entered = NodeStat.objects.get(journey=engine_journey, node_key="w1", metric="entered").count
        assert moved == deliveries == entered == args.members, (moved, deliveries, entered)
        assert sql_members == args.members, sql_members

        sql_rate, engine_rate = sql_members / sql_seconds, moved / engine_seconds
        print(f"  SQL floor (1 statement):         {sql_members:>10,} member-steps in {sql_seconds:7.2f} s = {sql_rate:>9,.0f} /s")
        print(f"  engine ({args.workers} process(es), batch {args.batch}): {moved:>10,} member-steps in {engine_seconds:7.2f} s "
              f"= {engine_rate:>9,.0f} /s  ({handled:,} node visits handled)")
        print(f"  engine / SQL floor: {engine_rate / sql_rate:.0%}   (targets: ≥ 30,000 /s and ≥ 50%)")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = children.ru_maxrss / 1024
        cpu_us = (children.ru_utime + children.ru_stime) / moved * 1e6
        print(f"  peak RSS of an engine worker process: {peak:.0f} MB (target < 300 MB)")
        cores = os.cpu_count()
        print(f"  CPU of the engine processes (Python and driver): {cpu_us:.1f} µs per member-step, of the "
              f"{engine_seconds * cores / moved * 1e6:.1f} µs the machine's {cores} cores had per member-step "
              "(the rest: PostgreSQL, or idle)")
        print("RESULT " + json.dumps({"bench": "engine", "members": args.members, "workers": args.workers,
                                      "sql_floor_per_s": round(sql_rate), "engine_per_s": round(engine_rate),
                                      "ratio_to_floor": round(engine_rate / sql_rate, 3), "worker_rss_mb": round(peak),
                                      "worker_cpu_us_per_step": round(cpu_us, 1),
                                      "load": round(os.getloadavg()[0], 1)}))
    finally:
        if not args.keep:
            drop_bench_database(database)


if __name__ == "__main__":
    main()
