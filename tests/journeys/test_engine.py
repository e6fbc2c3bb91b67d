import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from scipy.stats import chisquare

from journeys import engine, services
from journeys.models import Enrollment, GoalConversion, NodeStat, StepLog
from journeys.nodes.delay import due_time
from journeys.stats import journey_stats
from members.models import Event, Member, MemberTag
from members.services import ingest_events
from tests.factories import SegmentFactory, TagFactory
from tests.journeys.conftest import T0, minimal, publish, tick
from touchpoints.models import Delivery

SHANGHAI = ZoneInfo("Asia/Shanghai")


def enrol(journey, people, at=T0):
    return engine.enroll(journey.current_version, {m.pk: at for m in people})


def positions(journey):
    return Counter(Enrollment.objects.filter(journey=journey).values_list("node_key", "status"))


def send_journey(channel="sms", template="welcome-coupon"):
    return minimal([{"key": "msg", "type": "send", "config": {"channel": channel, "template": template}},
                    {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 4}}}],
                   [{"from": "start", "to": "msg"}, {"from": "msg", "to": "w"}], priority=7)


# --- delay -----------------------------------------------------------------------------------------

def test_a_delay_anchored_at_entry_with_at_waits_for_that_local_time_on_that_day():
    enrolled = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    due = due_time({"days": 2, "anchor": "entry", "at": "10:00"}, arrived_at=enrolled + timedelta(hours=5),
                   enrolled_at=enrolled, tz=SHANGHAI)
    assert due == datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)


def test_a_delay_whose_end_is_past_the_at_time_moves_to_the_next_day():
    arrived = datetime(2026, 3, 2, 11, 0, tzinfo=SHANGHAI)
    due = due_time({"hours": 1, "at": "10:00"}, arrived_at=arrived, enrolled_at=arrived, tz=SHANGHAI)
    assert due == datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)


def test_a_delay_with_weekdays_moves_to_the_first_allowed_day():
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=SHANGHAI)
    due = due_time({"days": 1, "at": "09:30", "weekdays": [1, 2, 3, 4, 5]}, arrived_at=friday, enrolled_at=friday, tz=SHANGHAI)
    assert due == datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI)  # Saturday → Monday


def test_a_member_in_a_delay_moves_on_only_when_it_is_due(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"hours": 3}}, {"key": "end", "type": "exit"}],
                              [{"from": "start", "to": "d"}, {"from": "d", "to": "end"}]))
    enrol(journey, members(2))
    tick(T0 + timedelta(hours=2, minutes=59))
    assert positions(journey) == {("d", "waiting"): 2}
    tick(T0 + timedelta(hours=3))
    assert positions(journey) == {("end", "completed"): 2}


# --- wait ------------------------------------------------------------------------------------------

def test_a_member_waiting_for_an_order_leaves_through_matched_at_the_moment_the_order_occurred(members):
    journey = publish(minimal(
        [{"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 5},
                                                  "where": {"attr": "value", "op": "gte", "value": 100}}},
         {"key": "yes", "type": "exit"}, {"key": "no", "type": "exit"}],
        [{"from": "start", "to": "w"}, {"from": "w", "to": "yes", "branch": "matched"},
         {"from": "w", "to": "no", "branch": "timeout"}]))
    big, small, none = members(3)
    enrol(journey, [big, small, none])
    tick(T0)
    ordered = T0 + timedelta(days=1)
    ingest_events([{"member": big.external_id, "name": "order_paid", "value": 150, "occurred_at": ordered.isoformat()},
                   {"member": small.external_id, "name": "order_paid", "value": 20, "occurred_at": ordered.isoformat()}])
    tick(T0 + timedelta(days=1, hours=1))
    assert StepLog.objects.get(member=big, node_key="w").left_at == ordered
    assert positions(journey) == {("yes", "completed"): 1, ("w", "waiting"): 2}
    tick(T0 + timedelta(days=5))
    assert positions(journey) == {("yes", "completed"): 1, ("no", "completed"): 2}


def test_an_order_ingested_before_the_member_reaches_the_wait_is_not_counted(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"days": 1}},
                               {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 1}}}],
                              [{"from": "start", "to": "d"}, {"from": "d", "to": "w"}]))
    member = members(1)[0]
    enrol(journey, [member])
    ingest_events([{"member": member.external_id, "name": "order_paid", "occurred_at": (T0 + timedelta(hours=1)).isoformat()}])
    tick(T0 + timedelta(days=3))
    assert StepLog.objects.get(member=member, node_key="w").branch == "timeout"


# --- condition, split, send, action, exit ----------------------------------------------------------

def test_a_condition_on_a_segment_sends_members_in_it_through_yes_and_the_rest_through_no(members):
    SegmentFactory(slug="vips", rule={"tag": "vip"})
    journey = publish(minimal([{"key": "c", "type": "condition", "config": {"segment": "vips"}},
                               {"key": "y", "type": "exit"}, {"key": "n", "type": "exit"}],
                              [{"from": "start", "to": "c"}, {"from": "c", "to": "y", "branch": "yes"},
                               {"from": "c", "to": "n", "branch": "no"}]))
    vip, other = members(2)
    MemberTag.objects.create(member=vip, tag=TagFactory(name="vip"))
    enrol(journey, [vip, other])
    tick(T0)
    assert dict(Enrollment.objects.values_list("member_id", "node_key")) == {vip.pk: "y", other.pk: "n"}


def split_journey(**settings):
    return minimal([{"key": "ab", "type": "split", "config": {"variants": [
        {"key": "A", "weight": 45}, {"key": "B", "weight": 45}, {"key": "control", "weight": 10}]}},
        {"key": "end", "type": "exit"}], [{"from": "start", "to": "ab"}, {"from": "ab", "to": "end", "branch": "A"}],
        **settings)


def test_split_proportions_over_ten_thousand_members_match_the_weights(db):
    journey = publish(split_journey())
    Member.objects.bulk_create([Member(external_id=f"split-{i}") for i in range(10_000)])
    engine.enroll(journey.current_version, {pk: T0 for pk in Member.objects.values_list("id", flat=True)})
    tick(T0)
    branches = journey_stats(journey)["nodes"]["ab"]["branches"]
    observed = [branches["A"], branches["B"], branches["control"]]
    assert sum(observed) == 10_000
    assert chisquare(observed, [4500, 4500, 1000]).pvalue > 0.001


def test_a_member_gets_the_same_variant_every_time_they_pass_the_split(members):
    journey = publish(split_journey(reentry={"mode": "always"}))
    people = members(200)
    first = {}
    for round_ in range(2):
        enrol(journey, people, at=T0 + timedelta(days=round_))
        tick(T0 + timedelta(days=round_))
        for member_id, branch in StepLog.objects.filter(node_key="ab", enrollment__enrolled_at=T0 + timedelta(days=round_)).values_list("member_id", "branch"):
            assert first.setdefault(member_id, branch) == branch
    assert len(first) == 200 and Enrollment.objects.filter(journey=journey).count() == 400


def test_a_promoted_split_variant_takes_every_new_arrival_except_the_kept_control(onboarding_channels, members):
    document = split_journey()
    document["nodes"].append({"key": "msg", "type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}})
    document["edges"] = [{"from": "start", "to": "ab"}, {"from": "ab", "to": "msg", "branch": "A"},
                         {"from": "ab", "to": "msg", "branch": "B"}, {"from": "ab", "to": "end", "branch": "control"}]
    journey = publish(document)
    journey.split_overrides = {"ab": {"variant": "B", "keep_control": True}}
    journey.save(update_fields=["split_overrides"])
    enrol(journey, members(300))
    tick(T0)
    assert set(journey_stats(journey)["nodes"]["ab"]["branches"]) == {"B", "control"}


def test_a_send_writes_one_queued_delivery_with_channel_template_priority_and_variant(onboarding_channels, members):
    journey = publish(send_journey())
    member = members(1)[0]
    enrol(journey, [member])
    tick(T0 + timedelta(minutes=1))
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.status, delivery.channel.key, delivery.template.slug, delivery.priority,
            delivery.visit, delivery.member, delivery.scheduled_at) == (
        "message", "queued", "sms", "welcome-coupon", 7, 2, member, T0 + timedelta(minutes=1))


def test_actions_tag_untag_set_attributes_grant_points_and_coupons_and_queue_webhooks_once(members):
    nodes = [{"key": "tag", "type": "action", "config": {"add_tag": "welcomed"}},
             {"key": "untag", "type": "action", "config": {"remove_tag": "prospect"}},
             {"key": "attr", "type": "action", "config": {"set_attribute": {"tier": "gold"}}},
             {"key": "points", "type": "action", "config": {"grant_points": 50}},
             {"key": "coupon", "type": "action", "config": {"grant_coupon": "WELCOME10"}},
             {"key": "hook", "type": "action", "config": {"webhook": {"url": "https://crm.example.com/hook"}}}]
    chain = ["start"] + [n["key"] for n in nodes]
    journey = publish(minimal(nodes, [{"from": a, "to": b} for a, b in zip(chain, chain[1:])]))
    member = members(1, attributes={"city": "Beijing"})[0]
    MemberTag.objects.create(member=member, tag=TagFactory(name="prospect"))
    enrol(journey, [member])
    tick(T0)
    tick(T0)
    member.refresh_from_db()
    assert set(member.tags.values_list("name", flat=True)) == {"welcomed"}
    assert member.attributes == {"city": "Beijing", "tier": "gold"} and member.points == 50
    assert sorted(Event.objects.filter(member=member).values_list("name", flat=True)) == ["coupon_granted", "points_granted"]
    assert list(Delivery.objects.values_list("kind", "payload")) == [("webhook", {"url": "https://crm.example.com/hook"})]


def test_an_exit_on_event_ends_an_active_enrolment_at_the_event_time(onboarding, members):
    member = members(1)[0]
    ingest_events([{"member": member.external_id, "name": "registered", "occurred_at": T0.isoformat()}])
    tick(T0)
    ingest_events([{"member": member.external_id, "name": "unsubscribed", "occurred_at": (T0 + timedelta(hours=5)).isoformat()}])
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.finished_at, enrollment.exit_reason) == ("exited", T0 + timedelta(hours=5), "exit_on: unsubscribed")
    assert journey_stats(onboarding)["nodes"][enrollment.node_key]["active"] == 0


# --- entry and re-entry ----------------------------------------------------------------------------

def test_an_entry_event_enrols_only_members_whose_event_matches_where(members):
    document = minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}])
    document["nodes"][0]["config"] = {"event": "order_paid", "where": {"attr": "store", "op": "eq", "value": "BJ-01"}}
    journey = publish(document)
    bj, sh = members(2)
    ingest_events([{"member": bj.external_id, "name": "order_paid", "properties": {"store": "BJ-01"}, "occurred_at": T0.isoformat()},
                   {"member": sh.external_id, "name": "order_paid", "properties": {"store": "SH-02"}, "occurred_at": T0.isoformat()}])
    assert list(Enrollment.objects.filter(journey=journey).values_list("member_id", "enrolled_at")) == [(bj.pk, T0)]


def test_reentry_after_n_days_lets_a_member_back_only_after_that_many_days_from_finishing(members):
    document = minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}], reentry={"mode": "after", "days": 7})
    journey = publish(document)
    member = members(1)[0]
    for offset in (0, 3, 8):
        ingest_events([{"member": member.external_id, "name": "ignored", "occurred_at": T0.isoformat()}])
        services.enroll_members(journey, [member.external_id], at=T0 + timedelta(days=offset))
        tick(T0 + timedelta(days=offset))
    assert sorted(Enrollment.objects.values_list("enrolled_at", flat=True)) == [T0, T0 + timedelta(days=8)]


def test_a_member_is_never_enrolled_twice_at_the_same_time_even_with_reentry_always(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"days": 1}}], [{"from": "start", "to": "d"}],
                              reentry={"mode": "always"}))
    member = members(1)[0]
    assert enrol(journey, [member]) == 1
    assert enrol(journey, [member], at=T0 + timedelta(hours=1)) == 0
    assert Enrollment.objects.count() == 1


# --- goals -----------------------------------------------------------------------------------------

def test_a_goal_converts_on_the_nth_event_since_enrolment_within_the_window_only(onboarding, members):
    early, late, once = members(3)
    ingest_events([{"member": m.external_id, "name": "registered", "occurred_at": T0.isoformat()} for m in (early, late, once)])
    orders = [(early, 1), (early, 20), (late, 2), (late, 61), (once, 3)]
    ingest_events([{"member": m.external_id, "name": "order_paid", "occurred_at": (T0 + timedelta(days=d)).isoformat()}
                   for m, d in orders])
    converted = set(GoalConversion.objects.values_list("member_id", "goal_key", "converted_at"))
    assert converted == {(early.pk, "first_order", T0 + timedelta(days=1)), (early.pk, "second_order", T0 + timedelta(days=20)),
                         (late.pk, "first_order", T0 + timedelta(days=2)), (once.pk, "first_order", T0 + timedelta(days=3))}


# --- pause, versions, hop limit ----------------------------------------------------------------------

def test_pausing_freezes_members_and_resuming_continues_where_they_were(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"hours": 1}}, {"key": "end", "type": "exit"}],
                              [{"from": "start", "to": "d"}, {"from": "d", "to": "end"}]))
    enrol(journey, members(3))
    tick(T0)
    services.journey_pause(journey)
    tick(T0 + timedelta(days=1))
    assert positions(journey) == {("d", "waiting"): 3}
    services.journey_resume(journey)
    tick(T0 + timedelta(days=1))
    assert positions(journey) == {("end", "completed"): 3}


def test_members_stay_on_their_version_unless_the_publisher_migrates_them_with_a_mapping(members):
    first = minimal([{"key": "old", "type": "delay", "config": {"days": 1}}, {"key": "w", "type": "delay", "config": {"days": 5}}],
                    [{"from": "start", "to": "old"}, {"from": "old", "to": "w"}])
    journey = publish(first)
    enrol(journey, members(4))
    tick(T0)
    v1 = journey.current_version
    second = minimal([{"key": "new", "type": "delay", "config": {"days": 2}}, {"key": "w", "type": "delay", "config": {"days": 5}}],
                     [{"from": "start", "to": "new"}, {"from": "new", "to": "w"}])
    services.journey_update_draft(journey, document=second)
    services.journey_publish(journey)
    assert set(Enrollment.objects.values_list("version_id", "node_key")) == {(v1.pk, "old")}
    services.journey_update_draft(journey, document=second)
    assert services.migration_preview(journey, mapping={"old": "new"}) == [{"from": "old", "to": "new", "count": 4}]
    v3 = services.journey_publish(journey, migrate=True, mapping={"old": "new"})
    assert set(Enrollment.objects.values_list("version_id", "node_key", "status")) == {(v3.pk, "new", "active")}
    assert journey_stats(journey)["nodes"]["new"]["active"] == 4 and journey_stats(journey)["nodes"]["old"]["active"] == 0


def test_a_member_never_loops_forever_in_one_tick(members):
    journey = publish(minimal([{"key": "tag", "type": "action", "config": {"add_tag": "looped"}},
                               {"key": "d", "type": "delay", "config": {"minutes": 1}}],
                              [{"from": "start", "to": "tag"}, {"from": "tag", "to": "d"}, {"from": "d", "to": "tag"}]))
    enrol(journey, members(1))
    steps = tick(T0 + timedelta(days=1))
    assert 0 < steps <= engine.MAX_HOPS
    assert Enrollment.objects.get().status in ("active", "waiting")


# --- exactly once ----------------------------------------------------------------------------------

def totals():
    return StepLog.objects.count(), Delivery.objects.count(), sorted(NodeStat.objects.values_list("node_key", "metric", "count"))


def test_ticking_the_same_moment_twice_changes_nothing_the_second_time(onboarding_channels, members):
    journey = publish(send_journey())
    enrol(journey, members(50))
    tick(T0)
    before = totals()
    assert tick(T0) == 0
    assert totals() == before and Delivery.objects.count() == 50


def test_a_batch_that_fails_midway_leaves_no_partial_writes_and_is_redone_next_tick(onboarding_channels, members, monkeypatch):
    journey = publish(send_journey())
    enrol(journey, members(20))
    before = totals()
    enrollments = sorted(Enrollment.objects.values_list("id", "node_key", "status", "visit"))

    def crash(run):
        raise RuntimeError("worker lost mid-batch")

    monkeypatch.setattr(engine, "_apply_member_actions", crash)
    with pytest.raises(RuntimeError):
        tick(T0)
    assert totals() == before and sorted(Enrollment.objects.values_list("id", "node_key", "status", "visit")) == enrollments
    monkeypatch.undo()
    tick(T0)
    assert Delivery.objects.count() == 20 and positions(journey) == {("w", "waiting"): 20}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ticks_on_one_shard_never_step_a_member_twice(onboarding_channels):
    journey = publish(send_journey())
    Member.objects.bulk_create([Member(external_id=f"c-{i}") for i in range(1200)])
    engine.enroll(journey.current_version, {pk: T0 for pk in Member.objects.values_list("id", flat=True)})
    shard = 1
    expected = Enrollment.objects.filter(shard=shard).count()
    barrier, taken, errors = threading.Barrier(2), [], []

    def worker():
        try:
            barrier.wait()
            from journeys import clock

            with clock.frozen(T0):
                taken.append(engine.advance(shard, now=T0, batch_size=50))
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and all(taken)
    assert Delivery.objects.count() == expected
    assert StepLog.objects.count() == 2 * expected
    stats = journey_stats(journey)["nodes"]
    assert (stats["msg"]["entered"], stats["w"]["active"]) == (expected, expected)
    assert positions(journey)[("w", "waiting")] == expected


def test_enrolments_are_sharded_by_member_id(members):
    journey = publish(minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}]))
    people = members(8)
    enrol(journey, people)
    assert all(shard == member_id % 4 for member_id, shard in Enrollment.objects.values_list("member_id", "shard"))


def test_tick_at_a_moment_uses_that_moment_as_the_engine_clock(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"days": 1}}], [{"from": "start", "to": "d"}]))
    enrol(journey, members(1), at=datetime(2026, 3, 2, tzinfo=UTC))
    from django.core.management import call_command

    call_command("tick", at="2026-03-02T00:00:00+00:00")
    assert Enrollment.objects.get().due_at == datetime(2026, 3, 3, tzinfo=UTC)


def test_a_delay_at_a_local_time_uses_the_members_own_time_zone_when_they_have_one(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"days": 1, "at": "10:00"}}], [{"from": "start", "to": "d"}]))
    berlin, default = members(1, timezone="Europe/Berlin")[0], members(1)[0]
    enrol(journey, [berlin, default])
    tick(T0)
    due = dict(Enrollment.objects.values_list("member_id", "due_at"))
    assert due == {berlin.pk: datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")),
                   default.pk: datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)}


def test_a_holdout_is_a_split_variant_whose_branch_reaches_no_send(onboarding_channels):
    from journeys.document import Graph
    from journeys.nodes.split import holdouts
    from tests.journeys.conftest import onboarding_document

    assert holdouts(Graph.of(onboarding_document()), "ab") == {"control"}
