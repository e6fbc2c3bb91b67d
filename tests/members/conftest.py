import datetime as dt

import pytest

from members.models import MemberTag
from tests.factories import EventFactory, MemberFactory, TagFactory

# One fixed "now" for every rule test: windows are computed from it, never from the wall clock.
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def days_ago(n, hours=0):
    return NOW - dt.timedelta(days=n, hours=hours)


def make_member(external_id, *, attributes=None, tags=(), registered_days_ago=200, **fields):
    member = MemberFactory(external_id=external_id, attributes=attributes or {}, registered_at=days_ago(registered_days_ago), **fields)
    MemberTag.objects.bulk_create([MemberTag(member=member, tag=TagFactory(name=t)) for t in tags])
    return member


def make_events(member, name, ages, **fields):
    return [EventFactory(member=member, name=name, occurred_at=days_ago(age), **fields) for age in ages]


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def population(db):
    """The known population the rule tests count against (domain example: see test_rules)."""
    ann = make_member("ann", attributes={"city": "Beijing", "age": 30, "interests": ["milk", "toys"]}, tags=["vip"], points=500)
    make_events(ann, "visit", [1, 10, 80])
    make_events(ann, "order_paid", [20], properties={"brand": "Lancome"}, value=120)
    bob = make_member("bob", attributes={"city": "Beijing", "age": "45"}, tags=["vip", "mom"], points=20)
    make_events(bob, "visit", [2, 5, 30])
    make_events(bob, "order_paid", [3], properties={"brand": "Shiseido"}, value=300)
    cat = make_member("cat", attributes={"city": "Shanghai", "age": 52}, points=0, email="cat@example.com")
    make_events(cat, "visit", [1, 2, 3, 4, 5])
    make_events(cat, "order_paid", [4, 40], properties={"brand": "Shiseido"}, value=80)
    dan = make_member("dan", attributes={"city": "Beijing", "age": "unknown"})
    make_events(dan, "visit", [5, 6, 100, 120])
    make_events(dan, "order_paid", [100], properties={"brand": "Lancome"}, value=50)
    eve = make_member("eve", attributes={"city": "Beijing", "vip": True})
    make_events(eve, "visit", [1, 2, 3, 4])
    fay = make_member("fay", registered_days_ago=40)
    gus = make_member("gus", attributes={"city": "Beijing", "age": 18}, registered_days_ago=10)
    make_events(gus, "visit", [1, 2, 3])
    make_events(gus, "order_paid", [10], properties={"brand": "Shiseido"}, value=99.5)
    return {m.external_id: m for m in (ann, bob, cat, dan, eve, fay, gus)}
