"""The canonical onboarding journey driven with `manage.py tick --at` across 30 simulated days."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command

from journeys.models import Enrollment, GoalConversion, StepLog
from journeys.nodes.split import assign
from journeys.stats import journey_stats
from members.models import Member
from members.services import ingest_events
from tests.journeys.conftest import T0
from touchpoints.models import Delivery

VARIANTS = [{"key": "day2", "weight": 45}, {"key": "day3", "weight": 45}, {"key": "control", "weight": 10}]


def day(n, hours=0):
    """Day n after registration (T0 is day 0, 09:00 in Shanghai)."""
    return T0 + timedelta(days=n, hours=hours)


def scenario(onboarding, people):
    """Each member's variant (from the split's own hash) and role, and the events the role produces.

    Roles in the day2/day3 groups: A orders on day 1, B never orders, C orders on day 4 and day 10,
    D unsubscribes on day 5. Control: X orders on day 12, Y never does.
    """
    roles, events, seen = {}, [], Counter()
    for member in people:
        variant = assign(VARIANTS, onboarding.pk, "ab", member.pk)
        index = seen[variant]
        seen[variant] += 1
        role = "XY"[index % 2] if variant == "control" else "ABCD"[index % 4]
        roles[member.pk] = (variant, role)
        orders = {"A": [day(1)], "C": [day(4, 3), day(10)], "X": [day(12)]}.get(role, [])
        events += [(at, member.external_id, "order_paid") for at in orders]
        if role == "D":
            events.append((day(5), member.external_id, "unsubscribed"))
    return roles, sorted(events)


@pytest.fixture
def simulated(onboarding, members):
    people = members(80)
    roles, events = scenario(onboarding, people)
    ingest_events([{"member": m.external_id, "name": "registered", "occurred_at": T0.isoformat()} for m in people])
    # Twice a day from registration, then once at the end (day 30, 15:00 in Shanghai).
    moments = [T0 + timedelta(hours=12 * i) for i in range(61)] + [day(30, 6)]
    for moment in moments:
        due = [e for e in events if e[0] <= moment]
        events = events[len(due):]
        if due:
            ingest_events([{"member": ext, "name": name, "occurred_at": at.isoformat()} for at, ext, name in due])
        call_command("tick", at=moment.isoformat())
    return onboarding, roles


def test_thirty_days_of_onboarding_give_exact_counts_per_node_and_branch(simulated):
    journey, roles = simulated
    n = Counter(roles.values())
    group = Counter(variant for variant, _ in roles.values())
    role = Counter(r for _, r in roles.values())
    a2, a3 = n[("day2", "A")], n[("day3", "A")]
    A, B, C, D, X, Y = (role[r] for r in "ABCDXY")
    assert min(A, B, C, D, X, Y) > 0

    nodes = journey_stats(journey)["nodes"]
    observed = {key: (s["entered"], s["active"], s["branches"]) for key, s in nodes.items()}
    assert observed == {
        "start": (80, 0, {"next": 80}),
        "ab": (80, 0, {"day2": group["day2"], "day3": group["day3"], "control": group["control"]}),
        "d2": (group["day2"], 0, {"next": group["day2"]}),
        "d3": (group["day3"], 0, {"next": group["day3"]}),
        "ordered": (group["day2"] + group["day3"], 0, {"yes": A, "no": B + C + D}),
        "nudge1": (B + C + D, 0, {"next": B + C + D}),
        "w1": (B + C + D, 0, {"matched": C, "timeout": B}),
        "d7": (B, 0, {"next": B}),
        "nudge7": (B, 0, {"next": B}),
        "w7": (B, 0, {"timeout": B}),
        "d30": (B, 0, {"next": B}),
        "nudge30": (B, 0, {"next": B}),
        "w30": (B, B, {}),
        "first": (A + C, 0, {"next": A + C}),
        "w2": (A + C, 0, {"matched": C, "timeout": A}),
        "rebuy": (A, 0, {"next": A}),
        "w2b": (A, a3, {"timeout": a2}),
        "second": (C, 0, {"next": C}),
        "hold": (X + Y, 0, {"matched": X, "timeout": Y}),
        "done": (C + a2 + X, 0, {}),
        "lost": (Y, 0, {}),
    }


def test_thirty_days_of_onboarding_end_each_member_where_their_role_leads(simulated):
    journey, roles = simulated
    expected = {("day2", "A"): ("completed", "done"), ("day3", "A"): ("waiting", "w2b"), "B": ("waiting", "w30"),
                "C": ("completed", "done"), "D": ("exited", "w1"), "X": ("completed", "done"), "Y": ("completed", "lost")}
    for member_id, status, node_key in Enrollment.objects.values_list("member_id", "status", "node_key"):
        variant, role = roles[member_id]
        assert (status, node_key) == expected.get((variant, role), expected.get(role)), (variant, role)


def test_thirty_days_of_onboarding_write_one_delivery_per_send_visit_and_record_goals_and_actions(simulated):
    journey, roles = simulated
    role = Counter(r for _, r in roles.values())
    sends = Counter(Delivery.objects.filter(journey=journey).values_list("node_key", flat=True))
    assert sends == {"nudge1": role["B"] + role["C"] + role["D"], "nudge7": role["B"], "nudge30": role["B"],
                     "rebuy": role["A"]}
    goals = Counter(GoalConversion.objects.filter(journey=journey).values_list("goal_key", flat=True))
    assert goals == {"first_order": role["A"] + role["C"] + role["X"], "second_order": role["C"]}
    assert journey_stats(journey)["goals"] == goals
    assert Member.objects.filter(points=100).count() == role["C"]
    assert Member.objects.filter(tags__name="first-order").count() == role["A"] + role["C"]


def test_thirty_days_of_onboarding_leave_a_trace_row_per_visit_with_its_branch(simulated):
    journey, roles = simulated
    member_id = next(m for m, (variant, r) in roles.items() if (variant, r) == ("day2", "B"))
    trace = list(StepLog.objects.filter(member_id=member_id).order_by("visit").values_list("node_key", "branch", "left_at"))
    assert [(node, branch) for node, branch, _ in trace] == [
        ("start", "next"), ("ab", "day2"), ("d2", "next"), ("ordered", "no"), ("nudge1", "next"), ("w1", "timeout"),
        ("d7", "next"), ("nudge7", "next"), ("w7", "timeout"), ("d30", "next"), ("nudge30", "next")]
    assert trace[2][2] == day(2, 1)  # day 2 at 10:00 in Shanghai
    assert trace[5][2] == day(6, 1)  # four days after arriving at w1
