"""A worker killed with SIGKILL mid-run loses nothing and duplicates nothing."""

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from django.db import connection

from journeys import engine
from journeys.models import Enrollment, NodeStat, StepLog
from members.models import Member
from tests.conftest import ROOT, child_env, database_url_of, wait_until
from tests.journeys.conftest import T0, minimal, publish, tick
from touchpoints.models import Delivery

WORKER = f"""
import django
django.setup()
from datetime import datetime
from journeys import clock, engine
at = datetime.fromisoformat({T0.isoformat()!r})
with clock.frozen(at):
    engine.advance(now=at, batch_size=25)
"""


def stats_match_the_step_log(journey):
    departures = Counter((node, f"branch:{branch}") for node, branch in
                         StepLog.objects.filter(journey=journey).values_list("node_key", "branch") if branch)
    counters = Counter({(node, metric): count for node, metric, count in
                        NodeStat.objects.filter(journey=journey, metric__startswith="branch:").values_list("node_key", "metric", "count")})
    return departures == counters


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_everyone_in_place_and_a_rerun_finishes_without_duplicates(onboarding_channels):
    journey = publish(minimal([{"key": "msg", "type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}},
                               {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 2}}}],
                              [{"from": "start", "to": "msg"}, {"from": "msg", "to": "w"}]))
    Member.objects.bulk_create([Member(external_id=f"k-{i}") for i in range(3000)])
    engine.enroll(journey.current_version, {pk: T0 for pk in Member.objects.values_list("id", flat=True)})
    process = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, start_new_session=True,
                               env=child_env(DATABASE_URL=database_url_of(connection.settings_dict),
                                             DJANGO_SETTINGS_MODULE="config.settings"))
    try:
        wait_until(lambda: Delivery.objects.count() > 0 or process.poll() is not None, timeout=60, interval=0.01)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert Enrollment.objects.exclude(status__in=["active", "waiting"]).count() == 0
    assert Delivery.objects.count() == StepLog.objects.filter(node_key="msg").count() < 3000
    assert stats_match_the_step_log(journey)
    tick(T0)
    assert Delivery.objects.count() == 3000 and StepLog.objects.filter(node_key="msg").count() == 3000
    assert Enrollment.objects.filter(node_key="w", status="waiting").count() == 3000
    assert stats_match_the_step_log(journey)
