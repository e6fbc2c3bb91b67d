import datetime as dt

import pytest
from django.core.management import call_command

from members.models import Member, MemberTag, SegmentMembership
from members.rfm import recompute
from members.segments import refresh
from tests.factories import EventFactory, MemberFactory, SegmentFactory, TagFactory
from tests.members.conftest import NOW, days_ago

pytestmark = pytest.mark.django_db


def tag(member, name="vip"):
    MemberTag.objects.create(member=member, tag=TagFactory(name=name))


def test_refresh_returns_members_who_entered_since_the_last_refresh_and_records_who_left():
    a, b, c = MemberFactory(), MemberFactory(), MemberFactory()
    tag(a), tag(b)
    segment = SegmentFactory(rule={"tag": "vip"})
    assert sorted(refresh(segment, now=NOW)) == sorted([a.pk, b.pk])
    assert refresh(segment, now=NOW) == []
    tag(c)
    MemberTag.objects.filter(member=a).delete()
    later = NOW + dt.timedelta(hours=1)
    assert refresh(segment, now=later) == [c.pk]
    assert SegmentMembership.objects.get(segment=segment, member=a).left_at == later
    segment.refresh_from_db()
    assert (segment.member_count, segment.refreshed_at) == (2, later)


def test_a_member_who_leaves_and_comes_back_enters_again():
    a = MemberFactory()
    tag(a)
    segment = SegmentFactory(rule={"tag": "vip"})
    refresh(segment, now=NOW)
    MemberTag.objects.filter(member=a).delete()
    refresh(segment, now=NOW + dt.timedelta(hours=1))
    tag(a)
    assert refresh(segment, now=NOW + dt.timedelta(hours=2)) == [a.pk]
    assert SegmentMembership.objects.filter(segment=segment, member=a).count() == 2


def test_time_windows_make_members_enter_a_segment_as_time_passes():
    lapsing = MemberFactory(registered_at=days_ago(100))
    EventFactory(member=lapsing, name="order_paid", occurred_at=days_ago(10))
    segment = SegmentFactory(rule={"last_event": "order_paid", "older_than_days": 15})
    assert refresh(segment, now=NOW) == []
    assert refresh(segment, now=NOW + dt.timedelta(days=6)) == [lapsing.pk]


def rfm_population():
    """Five buyers with hand-computed quintiles (see the expected table in the test)."""
    buyers = {}
    for key, age, orders, value in [("p1", 1, 5, 100), ("p2", 2, 1, 50), ("p3", 100, 4, 200), ("p4", 50, 2, 30), ("p5", 200, 1, 10)]:
        buyers[key] = MemberFactory(external_id=key, registered_at=days_ago(400))
        for _ in range(orders):
            EventFactory(member=buyers[key], name="order_paid", occurred_at=days_ago(age), value=value)
    MemberFactory(external_id="p6", registered_at=days_ago(10))
    MemberFactory(external_id="p7", registered_at=days_ago(90))
    EventFactory(member=buyers["p1"], name="visit", occurred_at=days_ago(0))
    EventFactory(member=buyers["p1"], name="order_paid", occurred_at=NOW + dt.timedelta(days=1), value=1000)  # after "now": ignored


def stored():
    return {m.external_id: (m.rfm_scores, m.rfm_group, m.lifecycle_stage) for m in Member.objects.all()}


def test_rfm_scores_groups_and_lifecycle_stages_match_the_hand_computed_fixture():
    rfm_population()
    recompute(now=NOW)
    assert stored() == {
        # R by last order (oldest=1), F by count (ties share the score), M by amount.
        "p1": ("554", "champions", "growth"),
        "p2": ("412", "new", "introduction"),
        "p3": ("245", "cannot_lose", "dormancy"),
        "p4": ("333", "loyal", "growth"),
        "p5": ("111", "hibernating", "churn"),
        "p6": ("", "", "introduction"),
        "p7": ("", "", "dormancy"),
    }


def test_lifecycle_thresholds_come_from_settings(settings):
    rfm_population()
    settings.MEMBERS_LIFECYCLE = {"maturity_orders": 5, "dormancy_days": 120}
    recompute(now=NOW)
    stages = {k: v[2] for k, v in stored().items()}
    assert stages["p1"] == "maturity" and stages["p3"] == "growth" and stages["p7"] == "introduction"


def test_a_member_whose_orders_are_gone_loses_the_rfm_group():
    rfm_population()
    recompute(now=NOW)
    Member.objects.get(external_id="p5").events.all().delete()
    recompute(now=NOW)
    assert stored()["p5"][:2] == ("", "")


def test_the_recompute_command_stores_groups_as_of_the_given_moment(capsys):
    rfm_population()
    call_command("recompute_members", "--at", NOW.isoformat())
    assert stored()["p1"][1] == "champions"
    assert "RFM groups for 5 members" in capsys.readouterr().out


def test_the_nightly_recompute_is_in_the_beat_schedule():
    from config.celery import collect_beat_entries

    assert collect_beat_entries(5)["members-recompute-scores"]["task"] == "members.recompute_scores"
