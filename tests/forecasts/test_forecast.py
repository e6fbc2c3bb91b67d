from datetime import timedelta

import pytest
from django.db.models import Max, Sum

from journeys import clock, engine, services as journey_services
from journeys.models import Enrollment, GoalConversion, Journey, JourneyVersion, NodeStat, StepLog
from members.models import Event, Member, MemberTag, Tag
from members.services import ingest_events
from forecasts.models import Forecast
from forecasts.services import run_forecast, start_forecast
from tests.factories import JourneyFactory, MemberFactory
from tests.forecasts.conftest import ALWAYS_ORDERS, NEVER_ORDERS, T0, document, onboarding_like
from touchpoints.models import Delivery

LIVE_TABLES = [Member, MemberTag, Tag, Event, Journey, JourneyVersion, Enrollment, StepLog, NodeStat, GoalConversion, Delivery]


def snapshot():
    """Row counts, highest ids and the state of every live enrolment and counter."""
    numbers = {model.__name__: (model.objects.count(), model.objects.aggregate(m=Max("id"))["m"]) for model in LIVE_TABLES}
    numbers["enrollments"] = sorted(Enrollment.objects.values_list("id", "status", "node_key", "visit", "due_at", "assignments"))
    numbers["counters"] = NodeStat.objects.aggregate(s=Sum("count"))["s"]
    numbers["points"] = sorted(Member.objects.values_list("id", "points", "attributes"))
    return numbers


def members(n, **kwargs):
    return MemberFactory.create_batch(n, registered_at=T0 - timedelta(days=2), **kwargs)


def forecast_of(journey, *, model, days=5, **params):
    with clock.frozen(T0):
        forecast = start_forecast(journey, {"population": "recent", "recent_days": 30, "days": days, **params}, document=journey.draft)
        return run_forecast(forecast, model=model)


def test_a_forecast_writes_nothing_to_live_enrollments_deliveries_events_members_or_stats(channels):
    # A live journey alongside: entered on order_paid (which the forecast's simulated members do),
    # it grants points and sends, so a leak of any kind would show in its tables.
    live = journey_services.journey_create(document=document(
        [{"key": "give", "type": "action", "config": {"grant_points": 10}},
         {"key": "hello", "type": "send", "config": {"channel": "sms", "template": "welcome"}},
         {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 2}}}],
        [{"from": "start", "to": "give"}, {"from": "give", "to": "hello"}, {"from": "hello", "to": "w"}],
        entry={"event": "order_paid"}))
    with clock.frozen(T0 - timedelta(days=1)):
        journey_services.journey_publish(live)
    people = members(6, attributes={"city": "上海"})
    with clock.frozen(T0 - timedelta(hours=1)):
        ingest_events([{"member": m.external_id, "name": "order_paid", "value": 50} for m in people[:3]])
        engine.advance(now=T0 - timedelta(hours=1))
    assert Enrollment.objects.filter(journey=live).count() == 3 and Delivery.objects.count() == 3
    draft = JourneyFactory(draft=onboarding_like())
    before = snapshot()

    forecast = forecast_of(draft, model=ALWAYS_ORDERS)

    assert forecast.status == Forecast.Status.DONE and forecast.results["enrolled"] == 6
    # It did run: six sms, and a wechat nudge for the three who had ordered already (no repeat orders).
    assert forecast.results["deliveries"]["channels"]["sms"]["count"] == 6
    assert forecast.results["deliveries"]["channels"]["wechat"]["count"] == 3
    assert snapshot() == before


def test_a_forecast_where_every_member_orders_at_once_matches_the_hand_computed_counts(channels):
    members(2, attributes={"city": "上海"})
    members(2, attributes={"city": "北京"})
    journey = JourneyFactory(draft=onboarding_like())

    results = forecast_of(journey, model=ALWAYS_ORDERS).results

    nodes = results["nodes"]
    assert nodes["city"] == {"entered": 4, "active": 0, "branches": {"yes": 2, "no": 2}}
    assert nodes["w"] == {"entered": 4, "active": 0, "branches": {"matched": 4}}
    assert nodes["bought"]["entered"] == 4 and "nudge" not in nodes
    assert results["deliveries"]["channels"] == {"sms": {"count": 2, "cost": "0.1000", "cost_per_message": "0.0500"}}
    assert results["deliveries"]["days"] == [{"day": "2026-03-02", "channels": {"sms": 2}}]
    assert results["goals"] == {"purchase": {"conversions": 4, "rate": 1.0}}
    variants = results["variants"]
    assert sum(v["members"] for v in variants.values()) == 4
    assert all(v["conversions"] == {"purchase": v["members"]} for v in variants.values())
    assert results["orders"] == 4


def test_a_forecast_where_nobody_orders_matches_the_hand_computed_counts(channels):
    members(2, attributes={"city": "上海"})
    members(2, attributes={"city": "北京"})
    journey = JourneyFactory(draft=onboarding_like())

    results = forecast_of(journey, model=NEVER_ORDERS).results

    assert results["nodes"]["w"] == {"entered": 4, "active": 0, "branches": {"timeout": 4}}
    assert results["nodes"]["done"]["entered"] == 4
    assert results["deliveries"]["channels"] == {
        "sms": {"count": 2, "cost": "0.1000", "cost_per_message": "0.0500"},
        "wechat": {"count": 4, "cost": "0.4000", "cost_per_message": "0.1000"}}
    assert results["deliveries"]["days"] == [{"day": "2026-03-02", "channels": {"sms": 2}},
                                             {"day": "2026-03-05", "channels": {"wechat": 4}}]
    assert results["deliveries"]["cost"] == "0.5000"
    assert results["goals"] == {"purchase": {"conversions": 0, "rate": 0.0}}


def test_a_forecast_of_a_segment_starts_from_the_segments_members_only(channels):
    from tests.factories import SegmentFactory

    SegmentFactory(slug="shanghai", rule={"attr": "city", "op": "eq", "value": "上海"})
    members(3, attributes={"city": "上海"})
    members(2, attributes={"city": "北京"})
    journey = JourneyFactory(draft=onboarding_like())

    with clock.frozen(T0):
        forecast = start_forecast(journey, {"population": "segment", "segment": "shanghai", "days": 4})
        results = run_forecast(forecast, model=NEVER_ORDERS).results

    assert results["enrolled"] == 3 and results["nodes"]["city"]["branches"] == {"yes": 3}


def test_a_forecast_records_its_progress_in_the_cache_as_it_runs(channels):
    from forecasts.services import progress_of

    members(1)
    forecast = forecast_of(JourneyFactory(draft=onboarding_like()), model=NEVER_ORDERS, days=2, step_hours=12)

    assert progress_of(forecast) == {"done": 4, "total": 4}


@pytest.mark.parametrize("params, message", [
    ({"population": "everyone"}, "population"),
    ({"population": "segment", "segment": "nope"}, "segment"),
    ({"population": "recent", "days": 0}, "days"),
    ({"population": "recent", "days": "soon"}, "days"),
])
def test_bad_forecast_parameters_are_refused_naming_the_field(db, params, message):
    from forecasts.services import ForecastError

    with pytest.raises(ForecastError, match=message):
        start_forecast(JourneyFactory(draft=onboarding_like()), params)
    assert Forecast.objects.count() == 0


def test_a_live_tick_running_while_a_forecast_runs_is_never_blocked_by_it(transactional_db, channels):
    import threading

    from django.db import connections, transaction

    from forecasts.services import simulate

    live = journey_services.journey_create(document=document(
        [{"key": "d", "type": "delay", "config": {"hours": 1}},
         {"key": "hello", "type": "send", "config": {"channel": "sms", "template": "welcome"}}],
        [{"from": "start", "to": "d"}, {"from": "d", "to": "hello"}]))
    with clock.frozen(T0 - timedelta(days=1)):
        journey_services.journey_publish(live)
    people = members(4, attributes={"city": "上海"})
    journey_services.enroll_members(live, [m.external_id for m in people], at=T0)
    draft = JourneyFactory(draft=onboarding_like())
    outcome = {}

    def live_tick():
        # Another connection, as the beat's worker would be: it locks and steps the live enrolments.
        try:
            with transaction.atomic():
                locked = list(Enrollment.objects.filter(journey=live).select_for_update(nowait=True).values_list("id", flat=True))
            outcome["locked"] = len(locked)
            outcome["steps"] = engine.advance(now=T0 + timedelta(hours=2))
        finally:
            connections.close_all()

    def progress(done, total):
        if "steps" not in outcome:  # once, in the middle of the sandbox's transaction
            thread = threading.Thread(target=live_tick)
            thread.start()
            thread.join(30)

    params = {"population": "recent", "recent_days": 30, "days": 2, "step_hours": 6, "seed": 1, "limit": 10}
    results = simulate(draft, draft.draft, params, model=NEVER_ORDERS, start=T0, progress=progress)

    assert outcome["locked"] == 4 and outcome["steps"] > 0
    assert results["enrolled"] == 4
    # The live tick committed its work mid-forecast; the forecast itself left nothing behind.
    assert Delivery.objects.filter(journey=live).count() == 4 and Delivery.objects.count() == 4
    assert not Journey.objects.filter(name__startswith="[sandbox]").exists()
