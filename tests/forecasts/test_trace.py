from datetime import timedelta

import pytest

from forecasts.services import ForecastError
from forecasts.trace import clean, trace
from journeys.models import Enrollment, Journey, StepLog
from journeys.nodes.split import assign
from members.models import Event, Member
from tests.factories import JourneyFactory, MemberFactory
from tests.forecasts.conftest import T0, document
from touchpoints.models import Delivery

SPLIT = [{"key": "a", "weight": 1}, {"key": "b", "weight": 1}]


def every_node_type():
    """entry → delay 14 h → send (lands at 23:00 Shanghai: quiet hours) → split → wait order_paid 5 days;
    matched → condition city 上海 → yes: action add_tag → exit; no / timeout → exit."""
    return document(
        [{"key": "d", "type": "delay", "config": {"hours": 14}},
         {"key": "hello", "type": "send", "config": {"channel": "sms", "template": "welcome"}},
         {"key": "ab", "type": "split", "config": {"variants": SPLIT}},
         {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 5}}},
         {"key": "city", "type": "condition", "config": {"rule": {"all": [{"attr": "city", "op": "eq", "value": "上海"},
                                                                          {"tag": "newcomer"}]}}},
         {"key": "vip", "type": "action", "config": {"add_tag": "vip"}},
         {"key": "end", "type": "exit"}, {"key": "lost", "type": "exit"}],
        [{"from": "start", "to": "d"}, {"from": "d", "to": "hello"}, {"from": "hello", "to": "ab"},
         {"from": "ab", "to": "w", "branch": "a"}, {"from": "ab", "to": "w", "branch": "b"},
         {"from": "w", "to": "city", "branch": "matched"}, {"from": "w", "to": "lost", "branch": "timeout"},
         {"from": "city", "to": "vip", "branch": "yes"}, {"from": "city", "to": "end", "branch": "no"},
         {"from": "vip", "to": "end"}],
        quiet_hours={"start": "22:00", "end": "08:00"},
        goals=[{"key": "purchase", "event": "order_paid", "window_days": 30}],
    )


def steps(result):
    return [(s["node"], s["arrived_at"], s["left_at"], s["branch"]) for s in result["path"]]


def test_a_members_path_through_every_node_type_has_the_expected_steps_times_and_reasons(channels):
    member = MemberFactory(attributes={"city": "上海"}, registered_at=T0 - timedelta(days=1))
    journey = JourneyFactory(draft=every_node_type())
    variant = assign(SPLIT, journey.pk, "ab", member.pk)

    result = trace(journey, clean({"member": member.external_id, "events": [{"name": "order_paid", "day": 3}]}), start=T0)

    start, evening, ordered = "2026-03-02T09:00:00+08:00", "2026-03-02T23:00:00+08:00", "2026-03-05T09:00:00+08:00"
    assert steps(result) == [
        ("start", start, start, "next"), ("d", start, evening, "next"), ("hello", evening, evening, "next"),
        ("ab", evening, evening, variant), ("w", evening, ordered, "matched"), ("city", ordered, ordered, "no"),
        ("end", ordered, ordered, ""),
    ]
    reasons = {s["node"]: s["reason"] for s in result["path"]}
    assert reasons["d"] == f"Wait 14 hours: until {evening}"
    assert reasons["hello"] == "sms / welcome: would be sent at 2026-03-03T08:00:00+08:00, deferred by quiet hours until 2026-03-03T08:00:00+08:00"
    assert reasons["ab"].startswith(f"variant {variant}: hash bucket ") and "(weights a 1, b 1)" in reasons["ab"]
    assert reasons["w"] == f"order_paid at {ordered}"
    assert reasons["city"].startswith("no: ") and "newcomer" in reasons["city"]  # the leaf that failed
    assert result["state"]["status"] == "completed"
    assert result["conversions"] == [{"goal": "purchase", "at": ordered}]


def test_a_synthetic_profile_with_the_tag_takes_the_yes_branch_and_the_action(channels):
    journey = JourneyFactory(draft=every_node_type())

    result = trace(journey, clean({"profile": {"attributes": {"city": "上海"}, "tags": ["newcomer"]},
                                   "events": [{"name": "order_paid", "day": 1, "hour": 12}]}), start=T0)

    nodes = [s["node"] for s in result["path"]]
    assert nodes == ["start", "d", "hello", "ab", "w", "city", "vip", "end"]
    city = next(s for s in result["path"] if s["node"] == "city")
    assert city["branch"] == "yes" and city["reason"].startswith("yes: ")


def test_a_member_who_never_orders_times_out_and_is_still_waiting_if_the_test_ends_first(channels):
    journey = JourneyFactory(draft=every_node_type())

    short = trace(journey, clean({"profile": {}, "days": 3}), start=T0)
    long = trace(journey, clean({"profile": {}, "days": 10}), start=T0)

    assert short["path"][-1]["node"] == "w" and short["path"][-1]["left_at"] is None
    assert short["state"]["status"] == "waiting"
    assert [s["node"] for s in long["path"]][-2:] == ["w", "lost"]
    assert long["path"][-2]["branch"] == "timeout" and long["path"][-2]["left_at"] == "2026-03-07T23:00:00+08:00"
    assert long["path"][-2]["reason"] == "no order_paid within 5 days: timed out at 2026-03-07T23:00:00+08:00"


def test_a_test_of_the_live_version_uses_the_published_document_and_changes_nothing(channels):
    from journeys import clock, services

    journey = services.journey_create(document=every_node_type())
    with clock.frozen(T0 - timedelta(days=1)):
        services.journey_publish(journey)
    journey.refresh_from_db()
    member = MemberFactory(attributes={"city": "上海"})
    counts = [model.objects.count() for model in (Journey, Member, Enrollment, StepLog, Event, Delivery)]

    result = trace(journey, clean({"member": member.external_id, "source": "live", "days": 1}), start=T0)

    assert result["source"] == "live" and [s["node"] for s in result["path"]][:3] == ["start", "d", "hello"]
    assert [model.objects.count() for model in (Journey, Member, Enrollment, StepLog, Event, Delivery)] == counts


@pytest.mark.parametrize("payload, message", [
    ({"member": "nobody"}, "member"),
    ({"profile": {"tags": "vip"}}, "profile.tags"),
    ({"profile": {}, "events": [{"name": "order_paid", "day": 99}]}, r"events\[0\].day"),
    ({"profile": {}, "days": 0}, "days"),
    ({"profile": {}, "source": "staging"}, "source"),
])
def test_bad_test_input_is_refused_naming_the_field(db, payload, message):
    with pytest.raises(ForecastError, match=message):
        clean(payload)
