from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count

from demo import world
from journeys.models import Enrollment, GoalConversion, Journey, StepLog
from journeys.stats import journey_stats
from members.models import Event, Member
from touchpoints.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(db):
    summary = world.build(members=150, days=14, seed=11, step_hours=6)
    return summary, list(Journey.objects.filter(description__startswith="[demo]"))


def recount(journey):
    """Per-node counts recomputed from the trace and the enrolments, independently of the counters."""
    logged = Counter(StepLog.objects.filter(journey=journey).values_list("node_key", flat=True))
    departures = Counter(StepLog.objects.filter(journey=journey).values_list("node_key", "branch"))
    logged_visits = set(StepLog.objects.filter(journey=journey).values_list("enrollment_id", "visit"))
    entered, active = Counter(logged), Counter()
    for pk, node_key, visit, status in Enrollment.objects.filter(journey=journey).values_list("pk", "node_key", "visit", "status"):
        if (pk, visit) not in logged_visits:
            entered[node_key] += 1
        if status in Enrollment.OPEN:
            active[node_key] += 1
    goals = Counter(GoalConversion.objects.filter(journey=journey).values_list("goal_key", flat=True))
    return entered, active, departures, goals


def test_the_demo_world_runs_the_real_engine_and_its_stats_equal_a_recount_from_the_step_log(demo_world):
    summary, journeys = demo_world
    assert {j.status for j in journeys} == {"live"} and len(journeys) == 2
    onboarding = next(j for j in journeys if j.current_version.document["nodes"][0]["config"].get("event") == "registered")
    for journey in journeys:
        stats = journey_stats(journey)
        entered, active, departures, goals = recount(journey)
        for key, node in stats["nodes"].items():
            assert node["entered"] == entered[key], key
            assert node["active"] == active[key], key
            assert node["branches"] == {b: n for (k, b), n in departures.items() if k == key and b}, key  # blank: exit_on, not a branch
        assert stats["goals"] == {g: goals[g] for g in stats["goals"]}
    onboarding_stats = journey_stats(onboarding)
    assert onboarding_stats["enrolled"] == Member.objects.filter(external_id__startswith=world.PREFIX).count() == 150
    assert set(onboarding_stats["nodes"]["ab"]["branches"]) == {"day2", "day3", "control"}
    assert onboarding_stats["goals"]["first_order"] > 0
    assert summary["orders"] == Event.objects.filter(name="order_paid", member__external_id__startswith=world.PREFIX).count()


def test_the_demo_world_sends_each_message_once_through_the_real_sender(demo_world):
    deliveries = Delivery.objects.filter(member__external_id__startswith=world.PREFIX)
    assert deliveries.filter(status__in=["sent", "delivered"]).exists()
    duplicates = deliveries.values("enrollment", "node_key", "visit").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()


def test_loading_the_demo_twice_changes_nothing_and_reset_rebuilds_it(demo_world, capsys):
    before = (Member.objects.count(), Enrollment.objects.count(), Delivery.objects.count())
    call_command("demo", members=150, days=14, seed=11, step_hours=6)
    assert "already loaded" in capsys.readouterr().out
    assert (Member.objects.count(), Enrollment.objects.count(), Delivery.objects.count()) == before
    call_command("demo", reset=True, members=40, days=4, seed=2, step_hours=12)
    assert Member.objects.filter(external_id__startswith=world.PREFIX).count() == 40
    assert Journey.objects.filter(description__startswith="[demo]").count() == 2
