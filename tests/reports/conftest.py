"""Report fixtures built with the models directly: enrolments with split assignments, goal
conversions and order events, so reads can be checked against counts known in advance."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from journeys.models import Enrollment, GoalConversion, Journey, JourneyVersion
from members.models import Event, Member

ONBOARDING = Path(__file__).resolve().parents[2] / "journeys" / "gallery" / "onboarding.journey.json"  # = ../shared/examples (test_gallery)
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def onboarding_document():
    return json.loads(ONBOARDING.read_text())


def publish(document, name=None, at=T0):
    journey = Journey.objects.create(name=name or document["name"], status=Journey.Status.LIVE, draft=document)
    version = JourneyVersion.objects.create(journey=journey, number=1, document=document, published_at=at)
    journey.current_version = version
    journey.save(update_fields=["current_version"])
    return journey


class World:
    """Adds enrolments to one journey in bulk and remembers nothing but the journey."""

    def __init__(self, journey):
        self.journey = journey
        self.version = journey.current_version
        self.count = 0

    def enrol(self, n, *, assignments=None, at=T0, node_key="start", status="active"):
        members = Member.objects.bulk_create(
            [Member(external_id=f"j{self.journey.pk}-m{self.count + i}") for i in range(n)]
        )
        self.count += n
        return Enrollment.objects.bulk_create([
            Enrollment(journey=self.journey, version=self.version, member=m, status=status, node_key=node_key,
                       assignments=dict(assignments or {}), enrolled_at=at, node_entered_at=at)
            for m in members
        ])

    def convert(self, enrollments, goal, after=timedelta(days=1), value=None):
        GoalConversion.objects.bulk_create([
            GoalConversion(enrollment=e, journey=self.journey, member_id=e.member_id, goal_key=goal,
                           converted_at=e.enrolled_at + after, value=value)
            for e in enrollments
        ])

    def orders(self, enrollments, amount, after=timedelta(days=1), name="order_paid"):
        Event.objects.bulk_create([
            Event(member_id=e.member_id, name=name, value=Decimal(str(amount)), occurred_at=e.enrolled_at + after)
            for e in enrollments
        ])


@pytest.fixture
def onboarding(db):
    return World(publish(onboarding_document()))


@pytest.fixture(autouse=True)
def english_messages():
    """Verdicts and errors are checked in their English source text (the default language is Chinese)."""
    with translation.override("en"):
        yield
