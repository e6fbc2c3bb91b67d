import datetime as dt

import pytest

from members.models import Event, Member
from members.services import EventBatchInvalid, ingest_events
from tests.factories import EventFactory, MemberFactory

pytestmark = pytest.mark.django_db

AT = "2026-05-01T10:00:00+08:00"


def event(member="m1", name="order_paid", **extra):
    return {"member": member, "name": name, "occurred_at": AT, **extra}


def test_a_batch_is_stored_with_properties_value_and_time(api):
    response = api.post("/api/v1/events", [event(properties={"brand": "Shiseido"}, value=128.5, id="e1"), event(name="visit")],
                        format="json")
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "duplicates": 0}
    order = Event.objects.get(idempotency_key="e1")
    assert (order.name, order.properties, float(order.value)) == ("order_paid", {"brand": "Shiseido"}, 128.5)
    assert order.occurred_at == dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.timezone.utc)


def test_a_single_event_object_is_accepted_without_a_trailing_slash_or_with_one(api):
    assert api.post("/api/v1/events", event(id="a"), format="json").json() == {"accepted": 1, "duplicates": 0}
    assert api.post("/api/v1/events/", event(id="b"), format="json").json() == {"accepted": 1, "duplicates": 0}


def test_a_repeated_id_is_stored_once_and_counted_as_duplicate_in_the_batch_and_across_batches():
    EventFactory(idempotency_key="seen-before")
    accepted, duplicates = ingest_events([event(id="x"), event(id="x"), event(id="seen-before"), event()])
    assert (accepted, duplicates) == (2, 2)
    assert Event.objects.filter(idempotency_key="x").count() == 1
    assert ingest_events([event(id="x")]) == (0, 1)


def test_unknown_members_are_created_with_their_registration_time_and_known_ones_reused():
    known = MemberFactory(external_id="known")
    ingest_events([event("known"), event("new-1", name="visit", occurred_at="2026-05-02T00:00:00Z"),
                   event("new-1", name="registered", occurred_at="2026-05-03T00:00:00Z")])
    assert Member.objects.filter(external_id="known").get().pk == known.pk
    created = Member.objects.get(external_id="new-1")
    assert created.registered_at == dt.datetime(2026, 5, 3, tzinfo=dt.timezone.utc)
    assert created.events.count() == 2


def test_a_batch_with_invalid_items_is_rejected_whole_listing_each_index_and_nothing_is_stored(api):
    batch = [event(id="ok"), event(member=""), event(occurred_at="yesterday"), event(value="lots"),
             event(properties=[1]), "not an object", event(colour="red"), event(name="x" * 65)]
    response = api.post("/api/v1/events", batch, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [1, 2, 3, 4, 5, 6, 7]
    assert "'member' is required" in errors[0]["message"]
    assert "occurred_at" in errors[1]["message"]
    assert "unknown field(s): colour" in errors[5]["message"]
    assert Event.objects.count() == 0 and Member.objects.count() == 0


def test_an_empty_or_oversized_batch_and_malformed_json_are_clear_400s(api):
    assert api.post("/api/v1/events", [], format="json").status_code == 400
    with pytest.raises(EventBatchInvalid, match="1 invalid") as raised:
        ingest_events([event()] * 10_001)
    assert "at most 10,000 events per request" in raised.value.errors[0]["message"]
    assert api.post("/api/v1/events", "{nope", content_type="application/json").status_code == 400
    assert Event.objects.count() == 0


def test_an_event_without_occurred_at_happens_at_the_engine_clock_now():
    from journeys import clock

    at = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)
    with clock.frozen(at):
        ingest_events([{"member": "m", "name": "visit"}])
    assert Event.objects.get().occurred_at == at


def test_viewers_may_not_post_events(viewer_api):
    assert viewer_api.post("/api/v1/events", event(), format="json").status_code == 403


def test_the_invalid_batch_exception_carries_the_errors():
    with pytest.raises(EventBatchInvalid) as raised:
        ingest_events([event(), {"name": "visit"}])
    assert raised.value.errors == [{"index": 1, "message": "'member' is required"}]


def test_ingestion_is_rate_limited_per_token_and_a_refused_batch_stores_nothing(api, settings):
    settings.INGEST_RATE = "2/min"
    assert api.post("/api/v1/events", event(id="r1"), format="json").status_code == 202
    assert api.post("/api/v1/members", {"external_id": "r2"}, format="json").status_code == 200
    refused = api.post("/api/v1/events", event(id="r3"), format="json")
    assert refused.status_code == 429
    assert not Event.objects.filter(idempotency_key="r3").exists()
