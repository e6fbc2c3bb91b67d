"""Thirty simulated days of the onboarding journey through the real engine, then /stats is checked
against counts recomputed from the step log and the events."""

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from journeys import services as journey_services
from journeys.models import Enrollment, GoalConversion, StepLog
from members.models import Event
from members.services import ingest_events
from tests.factories import ChannelFactory, TemplateFactory

from .conftest import onboarding_document

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
DAYS = 30
TICK = timedelta(hours=3)
TEMPLATES = {"welcome-coupon": "sms", "last-chance": "sms", "coupon-expiring": "wechat", "second-order-coupon": "wechat"}


def simulated_events(rng, members=120):
    """Registrations over the first 12 days; some members order once or twice within weeks."""
    events = []
    for i in range(members):
        registered = START + timedelta(days=rng.uniform(0, 12))
        member = f"sim-{i:04d}"
        events.append({"id": f"{member}-reg", "member": member, "name": "registered", "occurred_at": registered})
        at = registered
        for n in range(rng.choice([0, 0, 1, 1, 2, 3])):
            at += timedelta(hours=rng.uniform(6, 24 * 9))
            events.append({"id": f"{member}-order-{n}", "member": member, "name": "order_paid",
                           "value": round(rng.uniform(20, 300), 2), "occurred_at": at})
    return sorted(events, key=lambda e: e["occurred_at"])


def run_thirty_days(events):
    pending = list(events)
    at = START
    while at <= START + timedelta(days=DAYS):
        due = [e for e in pending if e["occurred_at"] <= at]
        pending = pending[len(due):]
        if due:
            ingest_events([{**e, "occurred_at": e["occurred_at"].isoformat()} for e in due])
        call_command("tick", at=at.isoformat(), stdout=open("/dev/null", "w"))
        at += TICK


def expected_goals(journey, document):
    """(enrollment, goal) pairs recomputed from the order events and each goal's nth/window."""
    orders = defaultdict(list)
    for member_id, at in Event.objects.filter(name="order_paid").values_list("member_id", "occurred_at"):
        orders[member_id].append(at)
    pairs = set()
    for enrollment in Enrollment.objects.filter(journey=journey):
        times = sorted(t for t in orders[enrollment.member_id] if t >= enrollment.enrolled_at)
        for goal in document["settings"]["goals"]:
            nth = goal["nth"]
            if len(times) >= nth and times[nth - 1] <= enrollment.enrolled_at + timedelta(days=goal["window_days"]):
                pairs.add((enrollment.id, goal["key"]))
    return pairs


@pytest.mark.django_db
def test_stats_after_thirty_simulated_days_equal_counts_recomputed_from_the_step_log_and_events(api):
    ChannelFactory(key="sms", kind="sms")
    ChannelFactory(key="wechat", kind="wechat_template")
    for slug, channel in TEMPLATES.items():
        TemplateFactory(slug=slug, channel=ChannelFactory(key=channel))
    document = onboarding_document()
    journey = journey_services.journey_create(document=document)
    journey_services.journey_publish(journey)
    run_thirty_days(simulated_events(random.Random(7)))

    stats = api.get(f"/api/v1/journeys/{journey.pk}/stats").json()

    # The step log has one row per finished visit; a member still at a node is on an open visit.
    steps = StepLog.objects.filter(journey=journey)
    open_visits = list(Enrollment.objects.filter(journey=journey, status__in=Enrollment.OPEN).values_list("id", "node_key"))
    active = Counter(key for _, key in open_visits)
    entered = Counter(steps.values_list("node_key", flat=True)) + active
    branches = Counter(steps.exclude(branch="").values_list("node_key", "branch"))
    converted = set(GoalConversion.objects.filter(journey=journey).values_list("enrollment_id", "goal_key"))
    visited = set(steps.values_list("enrollment_id", "node_key")) | set(open_visits)
    assert entered["start"] == 120
    assert converted == expected_goals(journey, document)
    expected_nodes = {}
    for node in document["nodes"]:
        key = node["key"]
        expected_nodes[key] = {
            "entered": entered[key], "active": active[key],
            "branches": {b: n for (k, b), n in branches.items() if k == key},
            "conversions": {goal: sum(1 for e, g in converted if g == goal and (e, key) in visited)
                            for goal in ("first_order", "second_order")},
        }
    got_nodes = {key: {**n, "branches": {b: c for b, c in n["branches"].items() if c}} for key, n in stats["nodes"].items()}
    assert got_nodes == expected_nodes
    goal_totals = Counter(g for _, g in converted)
    assert stats["goals"] == {"first_order": goal_totals["first_order"], "second_order": goal_totals["second_order"]}
    assert stats["enrolled"] == 120

    variants = stats["splits"]["ab"]["variants"]
    assignments = Counter(Enrollment.objects.filter(journey=journey).values_list("assignments__ab", flat=True))
    assert {k: v["members"] for k, v in variants.items() if v["members"]} == {k: n for k, n in assignments.items() if k}
    by_enrollment = dict(Enrollment.objects.filter(journey=journey).values_list("id", "assignments__ab"))
    for variant, numbers in variants.items():
        for goal in ("first_order", "second_order"):
            assert numbers["conversions"][goal] == sum(1 for e, g in converted if g == goal and by_enrollment[e] == variant)
    assert sum(v["members"] for v in variants.values()) == sum(n for (k, _), n in branches.items() if k == "ab")
