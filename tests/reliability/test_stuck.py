"""Stuck work: overdue enrolments and dead senders' leases are visible and `resume_stuck` resumes them."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from journeys import engine, services
from journeys.models import Enrollment, StepLog
from tests.factories import MemberFactory
from tests.journeys.conftest import minimal, onboarding_channels, publish  # noqa: F401  (fixture)
from touchpoints.models import Delivery

pytestmark = pytest.mark.django_db


def send_journey(name="Stuck onboarding 🚀"):
    document = minimal([{"key": "msg", "type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}},
                        {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 2}}}],
                       [{"from": "start", "to": "msg"}, {"from": "msg", "to": "w"}])
    document["name"] = name
    return publish(document)


def enrol(journey, minutes_ago, n=1):
    members = MemberFactory.create_batch(n)
    at = timezone.now() - timedelta(minutes=minutes_ago)
    engine.enroll(journey.current_version, {m.pk: at for m in members})
    return Enrollment.objects.filter(member__in=members)


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def test_the_health_page_lists_enrolments_overdue_beyond_the_threshold_and_not_recent_ones(client, viewer, onboarding_channels):
    stuck, fresh = send_journey(), send_journey(name="Fresh journey")
    enrol(stuck, minutes_ago=40, n=3)
    enrol(fresh, minutes_ago=5)
    page = english(client, viewer).get("/journeys/health/")
    assert page.status_code == 200
    rows = page.context["enrollments"]
    assert [(r["journey__name"], r["node_key"], r["count"]) for r in rows] == [("Stuck onboarding 🚀", "start", 3)]
    assert page.context["enrollment_total"] == 3
    assert "Stuck onboarding 🚀" in page.content.decode() and "Fresh journey" not in page.content.decode()


def test_the_threshold_comes_from_the_stuck_after_minutes_setting(client, viewer, onboarding_channels, settings):
    settings.STUCK_AFTER_MINUTES = 60
    enrol(send_journey(), minutes_ago=40)
    assert english(client, viewer).get("/journeys/health/").context["enrollment_total"] == 0


def test_enrolments_of_a_paused_journey_are_not_stuck(client, viewer, onboarding_channels):
    journey = send_journey()
    enrol(journey, minutes_ago=40)
    services.journey_pause(journey)
    assert english(client, viewer).get("/journeys/health/").context["enrollment_total"] == 0


def test_the_journeys_list_links_to_the_health_page(client, viewer):
    assert 'href="/journeys/health/"' in english(client, viewer).get("/journeys/").content.decode()


def test_the_health_page_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get("/journeys/health/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_resume_stuck_advances_overdue_enrolments_through_the_engine(onboarding_channels):
    journey = send_journey()
    enrollments = enrol(journey, minutes_ago=40, n=4)
    out = StringIO()
    call_command("resume_stuck", stdout=out)
    assert "stuck enrolments: 4" in out.getvalue()
    assert set(enrollments.values_list("node_key", "status")) == {("w", "waiting")}
    assert Delivery.objects.filter(journey=journey).count() == 4
    assert StepLog.objects.filter(journey=journey).count() == 8


def test_resume_stuck_dry_run_lists_and_changes_nothing(onboarding_channels):
    journey = send_journey()
    enrollments = enrol(journey, minutes_ago=40, n=2)
    out = StringIO()
    call_command("resume_stuck", "--dry-run", stdout=out)
    assert "stuck enrolments: 2" in out.getvalue() and "node start: 2 due since" in out.getvalue()
    assert set(enrollments.values_list("node_key", "status")) == {("start", "active")}
    assert not StepLog.objects.exists()


def test_a_delivery_whose_sender_lease_expired_is_listed_and_recovered_by_resume_stuck(client, viewer, onboarding_channels):
    journey = send_journey()
    enrol(journey, minutes_ago=40)
    call_command("resume_stuck", stdout=StringIO())
    delivery = Delivery.objects.get(journey=journey)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(minutes=20),
                                                   claim_token=uuid.uuid4(), attempts=1)
    assert [d.pk for d in english(client, viewer).get("/journeys/health/").context["leases"]] == [delivery.pk]
    out = StringIO()
    call_command("resume_stuck", stdout=out)
    assert "expired delivery leases: 1" in out.getvalue()
    delivery.refresh_from_db()
    # The console backend passes no idempotency key, so a send that may have happened is not repeated.
    assert delivery.status == "failed" and delivery.reason.startswith("outcome unknown")
