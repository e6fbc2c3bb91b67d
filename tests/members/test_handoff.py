"""Ingestion hands every accepted batch to the engine (journeys.entry.handle_events) in the same transaction."""

import datetime as dt

import pytest

from journeys import clock, engine, services
from journeys.models import Enrollment, GoalConversion, StepLog
from members.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def live_journey(entry, nodes, edges, **settings):
    document = {"format": "journey/v1", "name": "Hand-off", "settings": settings,
                "nodes": [{"key": "start", "type": "entry", "config": entry}, *nodes], "edges": edges}
    journey = services.journey_create(document=document)
    services.journey_publish(journey)
    journey.refresh_from_db()
    return journey


WAIT_FOR_ORDER = (
    [{"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 5}}},
     {"key": "done", "type": "exit"}, {"key": "lost", "type": "exit"}],
    [{"from": "start", "to": "w"}, {"from": "w", "to": "done", "branch": "matched"}, {"from": "w", "to": "lost", "branch": "timeout"}],
)


def advance(at):
    with clock.frozen(at):
        engine.advance()


def test_a_waiting_member_leaves_through_matched_when_an_order_is_posted(api):
    journey = live_journey({"manual": True}, *WAIT_FOR_ORDER)
    MemberFactory(external_id="u1")
    services.enroll_members(journey, ["u1"], at=T0)
    advance(T0)
    assert Enrollment.objects.get().status == "waiting"
    ordered = T0 + dt.timedelta(days=1)
    response = api.post("/api/v1/events", [{"member": "u1", "name": "order_paid", "occurred_at": ordered.isoformat(), "value": 99}],
                        format="json")
    assert response.status_code == 202
    advance(T0 + dt.timedelta(days=1, minutes=1))
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.node_key) == ("completed", "done")
    assert StepLog.objects.get(enrollment=enrollment, node_key="w").branch == "matched"


def test_posted_entry_events_enrol_new_members_and_record_goals_at_the_events_time(api):
    live_journey({"event": "registered"}, *WAIT_FOR_ORDER,
                 goals=[{"key": "first_order", "event": "order_paid", "nth": 1, "window_days": 30}])
    registered, ordered = T0, T0 + dt.timedelta(hours=3)
    api.post("/api/v1/events", [
        {"member": "new-1", "name": "registered", "occurred_at": registered.isoformat(), "id": "r1"},
        {"member": "new-2", "name": "registered", "occurred_at": registered.isoformat(), "id": "r2"},
    ], format="json")
    assert Member.objects.filter(external_id__in=["new-1", "new-2"]).count() == 2
    assert {e.enrolled_at for e in Enrollment.objects.all()} == {registered}
    api.post("/api/v1/events", {"member": "new-1", "name": "order_paid", "occurred_at": ordered.isoformat(), "value": 10}, format="json")
    conversion = GoalConversion.objects.get()
    assert (conversion.member.external_id, conversion.goal_key, conversion.converted_at) == ("new-1", "first_order", ordered)


def test_a_repeated_event_id_does_not_reach_the_engine_twice(api):
    live_journey({"event": "registered"}, *WAIT_FOR_ORDER, reentry={"mode": "always"})
    body = {"member": "u1", "name": "registered", "occurred_at": T0.isoformat(), "id": "same"}
    api.post("/api/v1/events", body, format="json")
    advance(T0 + dt.timedelta(days=6))  # the first enrolment times out and finishes
    assert api.post("/api/v1/events", body, format="json").json() == {"accepted": 0, "duplicates": 1}
    assert Enrollment.objects.count() == 1
