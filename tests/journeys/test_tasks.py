from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from journeys import clock, engine, services, tasks
from journeys.models import Enrollment
from members.models import Member
from tests.conftest import wait_until
from tests.journeys.conftest import minimal, publish
from touchpoints.models import Delivery


def test_the_beat_schedule_runs_the_tick_task_every_tick_seconds():
    assert tasks.BEAT_SCHEDULE(5)["journeys-tick"] == {"task": "journeys.tick", "schedule": 5.0}


def test_the_tick_command_refuses_a_moment_that_is_not_iso_8601(db):
    with pytest.raises(CommandError):
        call_command("tick", at="next tuesday")


@pytest.mark.celery
def test_a_real_celery_worker_advances_members_through_the_tick_task(celery_worker_factory, onboarding_channels):
    journey = publish(minimal([{"key": "msg", "type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}},
                               {"key": "end", "type": "exit"}],
                              [{"from": "start", "to": "msg"}, {"from": "msg", "to": "end"}]))
    Member.objects.bulk_create([Member(external_id=f"w-{i}") for i in range(40)])
    services.enroll_members(journey, [f"w-{i}" for i in range(40)], at=clock.now() - timedelta(seconds=1))
    celery_worker_factory()
    tasks.tick.apply_async(queue=celery_worker_factory.queue)
    wait_until(lambda: Enrollment.objects.filter(status="completed").count() == 40, timeout=60)
    assert Delivery.objects.count() == 40 and engine.advance() == 0
