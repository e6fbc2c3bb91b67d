"""Nothing lost, nothing stepped twice, with real Celery processes that crash.

A real worker and beat (`TICK_SECONDS=1`) run against the test database and a private
redis-server; the tests kill them (SIGKILL, mid-batch) and the Redis itself, then let the run
finish and check the invariants on everything that was written.
"""

import os
import signal
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from journeys import engine
from journeys.models import Enrollment, NodeStat, StepLog
from members.models import Member
from tests.conftest import wait_until
from tests.journeys.conftest import minimal, onboarding_channels, publish  # noqa: F401  (fixture)
from touchpoints.models import Delivery

pytestmark = pytest.mark.celery

POPULATION = 12_000
EDGES = [{"from": "start", "to": "ab"}, {"from": "ab", "to": "msg", "branch": "A"},
         {"from": "ab", "to": "tag", "branch": "B"}, {"from": "msg", "to": "w"}, {"from": "tag", "to": "w"}]


def crash_journey():
    return publish(minimal([
        {"key": "ab", "type": "split", "config": {"variants": [{"key": "A", "weight": 50}, {"key": "B", "weight": 50}]}},
        {"key": "msg", "type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}},
        {"key": "tag", "type": "action", "config": {"add_tag": "crash-test"}},
        {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 2}}},
    ], EDGES))


def enrol_population(journey):
    Member.objects.bulk_create([Member(external_id=f"crash-{i}") for i in range(POPULATION)], batch_size=5000)
    at = timezone.now() - timedelta(minutes=1)
    return engine.enroll(journey.current_version, {pk: at for pk in Member.objects.values_list("id", flat=True)})


def locked_by_another_session(table, mode):
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                          WHERE c.relname = %s AND l.mode = %s AND l.granted AND l.pid <> pg_backend_pid()""",
                       [table, mode])
        return cursor.fetchone()[0] > 0


def batch_in_flight():
    """An engine batch holds its claim (FOR UPDATE on enrolments) in another session right now."""
    return locked_by_another_session("journeys_enrollment", "RowShareLock")


def batch_writing():
    """An engine batch has written step-log rows it has not committed yet: the worst moment to die."""
    return locked_by_another_session("journeys_steplog", "RowExclusiveLock")


def steps_committed():
    return StepLog.objects.count()


def everyone_waiting():
    return Enrollment.objects.filter(node_key="w", status="waiting").count() == POPULATION


def sigkill_mid_batch(worker):
    wait_until(batch_writing, timeout=120, interval=0.005)
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    worker.log.close()


def assert_invariants(journey):
    """Checked on one snapshot of the database, so a batch committing meanwhile cannot skew the counts."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        check_invariants(journey)


def check_invariants(journey):
    statuses = Counter(Enrollment.objects.filter(journey=journey).values_list("status", flat=True))
    assert set(statuses) <= {"active", "waiting", "completed", "exited"}
    assert sum(statuses.values()) == POPULATION

    keys = set(Delivery.objects.values_list("enrollment_id", "node_key", "visit"))
    assert Delivery.objects.count() == len(keys) == StepLog.objects.filter(journey=journey, node_key="msg").count()

    logs = list(StepLog.objects.filter(journey=journey).values_list("enrollment_id", "visit", "node_key", "branch"))
    counters = {(node, metric): count for node, metric, count in
                NodeStat.objects.filter(journey=journey).values_list("node_key", "metric", "count")}
    departures = Counter((node, f"branch:{branch}") for _, _, node, branch in logs)
    assert departures == {key: count for key, count in counters.items() if key[1].startswith("branch:") and count}
    open_at = Counter(Enrollment.objects.filter(journey=journey, status__in=["active", "waiting"]).values_list("node_key", flat=True))
    arrivals = Counter(node for _, _, node, _ in logs) + open_at
    assert arrivals == {node: count for (node, metric), count in counters.items() if metric == "entered" and count}
    assert open_at == {node: count for (node, metric), count in counters.items() if metric == "active" and count}

    # Nobody skipped a node: each enrolment's visits, in order, walk the graph's edges.
    edges = {(e["from"], e["to"], e.get("branch", "next")) for e in EDGES}
    traces = defaultdict(list)
    for enrollment_id, visit, node, branch in sorted(logs):
        traces[enrollment_id].append((visit, node, branch))
    for enrollment_id, node_key, visit in Enrollment.objects.filter(journey=journey).values_list("id", "node_key", "visit"):
        trace = traces[enrollment_id]
        assert [v for v, _, _ in trace] == list(range(1, visit)), enrollment_id
        path = [node for _, node, _ in trace] + [node_key]
        assert path[0] == "start"
        assert all((node, path[i + 1], branch) in edges for i, (_, node, branch) in enumerate(trace)), (enrollment_id, trace)


@pytest.mark.django_db(transaction=True)
def test_a_worker_sigkilled_mid_batch_several_times_loses_nobody_and_steps_nobody_twice(cluster, onboarding_channels):
    journey = crash_journey()
    assert enrol_population(journey) == POPULATION
    cluster.beat()
    progress = []
    for _ in range(3):
        before = steps_committed()
        worker = cluster.worker()
        if progress:  # let this worker commit a batch first, so the kills land at different points of the run
            wait_until(lambda: steps_committed() > before, timeout=120, interval=0.05)
        sigkill_mid_batch(worker)
        assert_invariants(journey)
        progress.append(steps_committed())
    assert progress[0] < progress[1] < progress[2] < 3 * POPULATION
    cluster.worker()
    wait_until(everyone_waiting, timeout=300, interval=1)
    assert_invariants(journey)
    assert StepLog.objects.filter(journey=journey, node_key="start").count() == POPULATION


@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_and_a_second_beat_mid_run_leave_the_same_invariants(cluster, onboarding_channels):
    journey = crash_journey()
    assert enrol_population(journey) == POPULATION
    beats = [cluster.beat(), cluster.beat()]
    worker = cluster.worker()
    wait_until(batch_in_flight, timeout=120, interval=0.01)
    cluster.redis.restart()
    assert_invariants(journey)
    assert not everyone_waiting()
    wait_until(everyone_waiting, timeout=300, interval=1)
    assert_invariants(journey)
    assert StepLog.objects.filter(journey=journey, node_key="start").count() == POPULATION
    assert worker.process.poll() is None and all(beat.process.poll() is None for beat in beats)
