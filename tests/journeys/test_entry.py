from datetime import timedelta

from django.core.management import call_command

from journeys.models import Enrollment
from journeys.stats import journey_stats
from members.models import MemberTag
from members.services import ingest_events
from tests.factories import SegmentFactory, TagFactory
from tests.journeys.conftest import T0, minimal, publish, tick


def journey_entering_by(config, **settings):
    document = minimal([{"key": "w", "type": "wait", "config": {"event": "never", "timeout": {"days": 90}}}],
                       [{"from": "start", "to": "w"}], **settings)
    document["nodes"][0]["config"] = config
    return publish(document)


def test_members_entering_a_segment_are_enrolled_on_the_next_tick_once(members):
    SegmentFactory(slug="vip", rule={"tag": "vip"})
    journey = journey_entering_by({"segment": "vip"})
    vip, other = members(2)
    MemberTag.objects.create(member=vip, tag=TagFactory(name="vip"))
    call_command("tick", at=T0.isoformat())
    call_command("tick", at=(T0 + timedelta(minutes=5)).isoformat())
    assert list(Enrollment.objects.filter(journey=journey).values_list("member_id", "enrolled_at")) == [(vip.pk, T0)]


def test_members_whose_last_order_is_n_days_old_are_enrolled_once_per_lapse(members):
    journey = journey_entering_by({"inactive": {"event": "order_paid", "days": 15}}, reentry={"mode": "always"})
    lapsed, active = members(2)
    ingest_events([{"member": lapsed.external_id, "name": "order_paid", "occurred_at": T0.isoformat()},
                   {"member": active.external_id, "name": "order_paid", "occurred_at": (T0 + timedelta(days=10)).isoformat()}])
    call_command("tick", at=(T0 + timedelta(days=14)).isoformat())
    assert not Enrollment.objects.exists()
    call_command("tick", at=(T0 + timedelta(days=16)).isoformat())
    call_command("tick", at=(T0 + timedelta(days=17)).isoformat())
    assert list(Enrollment.objects.filter(journey=journey).values_list("member_id", flat=True)) == [lapsed.pk]


def test_a_manual_entry_journey_ignores_events(members):
    journey = journey_entering_by({"manual": True})
    member = members(1)[0]
    ingest_events([{"member": member.external_id, "name": "registered", "occurred_at": T0.isoformat()}])
    assert not Enrollment.objects.filter(journey=journey).exists()


def test_events_enrol_nobody_into_a_paused_journey(members):
    from journeys import services

    journey = journey_entering_by({"event": "registered"})
    services.journey_pause(journey)
    member = members(1)[0]
    ingest_events([{"member": member.external_id, "name": "registered", "occurred_at": T0.isoformat()}])
    assert not Enrollment.objects.exists()


def test_conversions_count_on_every_node_the_member_visited_before_and_after_converting(onboarding, members):
    onboarding.split_overrides = {"ab": {"variant": "day2"}}
    onboarding.save(update_fields=["split_overrides"])
    member = members(1)[0]
    ingest_events([{"member": member.external_id, "name": "registered", "occurred_at": T0.isoformat()}])
    tick(T0)
    ingest_events([{"member": member.external_id, "name": "order_paid", "occurred_at": (T0 + timedelta(hours=1)).isoformat()}])
    tick(T0 + timedelta(days=3, hours=2))
    stats = journey_stats(onboarding)
    visited = [key for key, node in stats["nodes"].items() if node["entered"]]
    assert stats["goals"]["first_order"] == 1
    assert {key: stats["nodes"][key]["conversions"]["first_order"] for key in visited} == dict.fromkeys(visited, 1)
    assert set(visited) == {"start", "ab", "d2", "ordered", "first", "w2"}


def test_members_who_lapsed_long_before_the_journey_went_live_are_not_back_filled(members):
    journey = journey_entering_by({"inactive": {"event": "order_paid", "days": 15}})
    long_gone = members(1)[0]
    ingest_events([{"member": long_gone.external_id, "name": "order_paid", "occurred_at": T0.isoformat()}])
    call_command("tick", at=(T0 + timedelta(days=60)).isoformat())
    assert not Enrollment.objects.filter(journey=journey).exists()
