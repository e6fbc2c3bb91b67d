from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from reports import funnel, snapshots
from reports.models import FunnelSnapshot
from tests.conftest import wait_until

from .conftest import T0, World, onboarding_document, publish

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_first_read_computes_the_funnel_and_stores_it_exactly_as_computed(onboarding):
    rows = onboarding.enrol(6, assignments={"ab": "day3"})
    onboarding.convert(rows[:2], "first_order", after=timedelta(hours=30))
    result, activity, as_of = snapshots.funnel_report(onboarding.journey, "day", SHANGHAI)
    assert result == funnel.journey_funnel(onboarding.journey, unit="day", tz=SHANGHAI)
    assert activity == funnel.daily_activity(onboarding.journey, tz=SHANGHAI)
    assert FunnelSnapshot.objects.get().computed_at == as_of


def test_a_fresh_snapshot_is_served_without_recomputing(onboarding):
    onboarding.enrol(4)
    snapshots.funnel_report(onboarding.journey, "week", SHANGHAI)
    onboarding.enrol(3)
    result, _, _ = snapshots.funnel_report(onboarding.journey, "week", SHANGHAI, max_age=3600)
    assert result.overall.entered == 4


def test_snapshots_are_kept_per_cohort_unit_and_time_zone(onboarding):
    onboarding.enrol(2, at=T0.replace(hour=23, minute=30))
    snapshots.funnel_report(onboarding.journey, "day", SHANGHAI)
    utc, _, _ = snapshots.funnel_report(onboarding.journey, "day", ZoneInfo("UTC"))
    assert FunnelSnapshot.objects.count() == 2
    assert [r.label for r in utc.cohorts] == ["2026-11-02"]


@pytest.mark.celery
def test_a_stale_funnel_is_served_at_once_and_recomputed_by_a_celery_worker(celery_worker_factory):
    world = World(publish(onboarding_document()))
    world.enrol(5)
    snapshots.funnel_report(world.journey, "day", SHANGHAI)
    world.enrol(3)
    FunnelSnapshot.objects.update(computed_at=F("computed_at") - timedelta(hours=1))
    celery_worker_factory()
    served, _, _ = snapshots.funnel_report(world.journey, "day", SHANGHAI, max_age=60)
    assert served.overall.entered == 5
    wait_until(lambda: FunnelSnapshot.objects.get().data["funnel"]["overall"]["entered"] == 8, timeout=60)


def test_a_stale_funnel_is_still_served_when_the_broker_cannot_take_the_refresh(onboarding, monkeypatch,
                                                                                django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    from reports import tasks

    onboarding.enrol(2)
    snapshots.funnel_report(onboarding.journey, "day", SHANGHAI)
    FunnelSnapshot.objects.update(computed_at=F("computed_at") - timedelta(hours=1))

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.refresh_funnel, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        served, _, _ = snapshots.funnel_report(onboarding.journey, "day", SHANGHAI, max_age=60)
    assert len(callbacks) == 1
    assert served.overall.entered == 2
