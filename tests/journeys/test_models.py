"""The step log and the outbox carry no database foreign keys (journeys/models.py, touchpoints/models.py):
deletes must still cascade, null out and protect exactly as the models declare."""

import pytest
from django.db import connection
from django.db.models import ProtectedError

from journeys.models import Enrollment, StepLog
from members.models import Member
from tests.journeys.conftest import T0, publish, tick
from tests.journeys.test_engine import enrol, send_journey
from touchpoints.models import Channel, Delivery, Template


@pytest.fixture
def stepped(onboarding_channels, members):
    """A journey whose two members passed its send step: step-log rows and queued deliveries exist."""
    journey = publish(send_journey())
    people = members(2)
    enrol(journey, people)
    tick(T0)
    assert StepLog.objects.filter(journey=journey).count() == 4  # start and msg, per member
    assert Delivery.objects.filter(journey=journey).count() == 2
    return journey, people


def test_deleting_a_member_deletes_their_enrolments_step_log_and_deliveries_but_nobody_elses(stepped):
    journey, (gone, kept) = stepped
    gone.delete()
    assert not Member.objects.filter(pk=gone.pk).exists()
    assert not Enrollment.objects.filter(member_id=gone.pk).exists()
    assert not StepLog.objects.filter(member_id=gone.pk).exists()
    assert not Delivery.objects.filter(member_id=gone.pk).exists()
    assert StepLog.objects.filter(member=kept).count() == 2
    assert Delivery.objects.filter(member=kept).count() == 1


def test_deleting_a_journey_with_its_enrolments_deletes_its_step_log_and_keeps_its_deliveries_detached(stepped):
    journey, _people = stepped
    delivery_ids = list(Delivery.objects.filter(journey=journey).values_list("id", flat=True))
    Enrollment.objects.filter(journey=journey).delete()  # versions are protected while enrolments use them
    journey.delete()
    assert not StepLog.objects.exists()
    detached = Delivery.objects.filter(id__in=delivery_ids)
    assert detached.count() == 2
    assert set(detached.values_list("journey_id", "version_id", "enrollment_id")) == {(None, None, None)}


def test_a_channel_or_template_with_deliveries_cannot_be_deleted(stepped):
    template = Template.objects.get(slug="welcome-coupon")
    with pytest.raises(ProtectedError):
        template.delete()
    with pytest.raises(ProtectedError):
        Channel.objects.get(pk=template.channel_id).delete()
    assert Delivery.objects.filter(template=template).count() == 2


def test_the_step_log_and_outbox_tables_have_no_database_foreign_keys(db):
    """What the engine's write rate rests on (docs/BENCHMARKS.md): no per-row checks on these two tables."""
    with connection.cursor() as cursor:
        tables = [StepLog._meta.db_table, Delivery._meta.db_table]
        constraints = connection.introspection.get_constraints
        for table in tables:
            foreign = [name for name, c in constraints(cursor, table).items() if c["foreign_key"]]
            assert foreign == [], (table, foreign)

