"""Forecasts of a draft and single-member tests, both computed in a rolled-back sandbox.

`start_forecast` records a Forecast row; `run_forecast` (the Celery task's body) simulates the
population's behaviour step by step under a simulated clock — orders drawn from a BehaviourModel
go through the real event ingestion, then the real engine runs — and stores what the outbox,
counters and conversions showed before the rollback. `trace` does the same for one member with
scripted events and explains every decision.
"""

import random
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from demo.behaviour import BehaviourModel
from journeys import clock
from journeys.document import timezone_of
from journeys.models import Enrollment, GoalConversion, NodeStat
from members.models import Member

from . import learning
from .models import Forecast
from .sandbox import sandbox

MAX_MEMBERS = 5000
POPULATIONS = ("segment", "recent")


class ForecastError(ValueError):
    """Bad forecast or test parameters; the message names the field."""


def clean_params(params):
    """Validated forecast parameters (raises ForecastError naming the field)."""
    population = params.get("population")
    if population not in POPULATIONS:
        raise ForecastError("population must be one of: segment, recent")
    cleaned = {"population": population, "days": _int(params, "days", 30, 1, 180),
               "step_hours": _int(params, "step_hours", 6, 1, 24), "seed": _int(params, "seed", 7, 0, 2**31 - 1),
               "limit": _int(params, "limit", 2000, 1, MAX_MEMBERS)}
    if population == "segment":
        from members.models import Segment

        slug = params.get("segment") or ""
        if not Segment.objects.filter(slug=slug).exists():
            raise ForecastError(f"segment: no segment {slug!r}")
        cleaned["segment"] = slug
    else:
        cleaned["recent_days"] = _int(params, "recent_days", 30, 1, 365)
    return cleaned


def _int(params, key, default, low, high):
    value = params.get(key, default)
    if value in (None, ""):
        value = default
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ForecastError(f"{key}: a whole number is required") from None
    if not low <= value <= high:
        raise ForecastError(f"{key}: must be between {low} and {high}")
    return value


def start_forecast(journey, params, *, user=None, document=None):
    """A queued Forecast of the journey's draft (or `document`); the caller enqueues the task."""
    return Forecast.objects.create(journey=journey, params=clean_params(params), document=document or journey.draft,
                                   created_by=user)


def progress_key(forecast_id):
    return f"forecasts:{forecast_id}:progress"


def progress_of(forecast):
    """{"done", "total"} steps of a running forecast, read from the cache it writes outside its transaction."""
    return cache.get(progress_key(forecast.pk)) or {"done": 0, "total": 0}


def run_forecast(forecast, *, model=None):
    """Simulate the forecast and store its results; `model` replaces the learned one (tests, what-ifs)."""
    params = forecast.params
    start = clock.now()
    if model is None:
        model, info = learning.learn(now=start)
    else:
        info = {"sources": {"first_order": "given", "repeat_order": "given", "nudge_lift": {}}}
    forecast.status, forecast.model = Forecast.Status.RUNNING, learning.describe(model, info)
    forecast.save(update_fields=["status", "model"])
    try:
        results = simulate(forecast.journey, forecast.document, params, model=model, start=start,
                           progress=lambda done, total: cache.set(progress_key(forecast.pk), {"done": done, "total": total}, 3600))
    except Exception as exc:
        forecast.status, forecast.error, forecast.finished_at = Forecast.Status.FAILED, str(exc)[:2000], timezone.now()
        forecast.save(update_fields=["status", "error", "finished_at"])
        raise
    forecast.status, forecast.results, forecast.finished_at = Forecast.Status.DONE, results, timezone.now()
    forecast.save(update_fields=["status", "results", "finished_at"])
    return forecast


def population(params, *, now):
    """Ids of the members a forecast starts from (at most params["limit"], lowest ids first: reproducible)."""
    members = Member.objects.all()
    if params["population"] == "segment":
        from members.models import Segment
        from members.rules import compile_rule

        members = members.filter(compile_rule(Segment.objects.get(slug=params["segment"]).rule, now=now))
    else:
        members = members.filter(registered_at__gt=now - timedelta(days=params["recent_days"]), registered_at__lte=now)
    return list(members.order_by("id").values_list("id", flat=True)[:params["limit"]])


def simulate(journey, document, params, *, model, start, progress=None):
    """Run `document` for the population in a sandbox; returns the results dict (plain JSON)."""
    rng = random.Random(params["seed"])
    step = timedelta(hours=params["step_hours"])
    end = start + timedelta(days=params["days"])
    steps_total = int((end - start) / step)
    ids = population(params, now=start)
    with sandbox(journey, document, start=start) as box:
        mapping = box.clone_members(ids)
        people = _people(mapping, model, rng, start)
        with clock.frozen(start):
            box.enroll({clone: start for clone in mapping.values()})
            box.advance(start)
        moment, done = start, 0
        while moment < end:
            upper = min(moment + step, end)
            events = _behave(people, box, model, rng, moment, upper, step)
            with clock.frozen(upper):
                box.ingest(events)
                box.advance(upper)
            moment, done = upper, done + 1
            if progress and (done % 5 == 0 or moment >= end):
                progress(done, steps_total)
        results = _results(box, document, start, end)
    results.update({"members": len(ids), "orders": sum(p["orders_in_run"] for p in people.values()),
                    "start": start.isoformat(), "end": end.isoformat()})
    return results


def _people(mapping, model, rng, start):
    """The simulation's state per clone: affinity, never-buyer draw, orders so far and the last one."""
    from members.models import Event

    clones = list(mapping.values())
    rows = Member.objects.filter(id__in=clones).values_list("id", "external_id", "registered_at", "attributes")
    history = {member_id: (n, last) for member_id, n, last in
               Event.objects.filter(member_id__in=clones, name="order_paid").values("member_id")
               .annotate(n=Count("id"), last=Max("occurred_at")).values_list("member_id", "n", "last")}
    people = {}
    for member_id, external_id, registered_at, attributes in sorted(rows):
        orders, last_order_at = history.get(member_id, (0, None))
        people[member_id] = {"external_id": external_id, "registered_at": registered_at or start,
                             "affinity": model.affinity((attributes or {}).get("source")),
                             "never_buys": rng.random() < model.never_buyer_share, "orders": orders,
                             "last_order_at": last_order_at, "unsubscribed": False, "orders_in_run": 0}
    return people


def _behave(people, box, model, rng, moment, upper, step):
    """This step's events drawn from the model: unsubscribes and orders, nudged by recent messages."""
    from touchpoints.models import Delivery

    step_days = step.total_seconds() / 86400
    nudges = defaultdict(list)
    # No sender runs in a sandbox: a queued message counts as delivered when the engine queued it.
    for member_id, slug in (Delivery.objects.filter(journey=box.journey, kind=Delivery.Kind.MESSAGE, template__isnull=False,
                                                    scheduled_at__gt=moment - timedelta(hours=model.nudge_hours),
                                                    scheduled_at__lte=moment)
                            .values_list("member_id", "template__slug")):
        nudges[member_id].append(slug)
    events = []
    for member_id, person in people.items():
        if person["unsubscribed"]:
            continue
        messaged = nudges.get(member_id, ())
        if rng.random() < model.unsubscribe_chance(step_days=step_days, messaged=bool(messaged)):
            person["unsubscribed"] = True
            events.append({"member": person["external_id"], "name": "unsubscribed", "properties": {},
                           "occurred_at": _within(moment, step, rng)})
            continue
        if person["never_buys"]:
            continue
        last = person["last_order_at"]
        chance = model.order_chance(
            step_days=step_days, affinity=person["affinity"],
            days_since_registration=max(0.0, (moment - person["registered_at"]).total_seconds() / 86400),
            orders=person["orders"], days_since_last_order=(moment - last).total_seconds() / 86400 if last else 0,
            nudges=messaged)
        if rng.random() < chance:
            at = _within(moment, step, rng)
            person["orders"] += 1
            person["orders_in_run"] += 1
            person["last_order_at"] = at
            events.append({"member": person["external_id"], "name": "order_paid", "properties": {"store": "forecast"},
                           "value": model.order_value(rng), "occurred_at": at})
    events.sort(key=lambda e: e["occurred_at"])
    return events


def _within(moment, step, rng):
    # Strictly inside the step, never at its start: the previous tick already ran at `moment`.
    return moment + timedelta(seconds=max(1.0, rng.random() * step.total_seconds()))


def _results(box, document, start, end):
    """Per-node counters, deliveries per channel per day with cost, and conversions overall and per variant."""
    from touchpoints.models import Channel, Delivery

    nodes = {}
    for node_key, metric, count in NodeStat.objects.filter(version=box.version).values_list("node_key", "metric", "count"):
        if not node_key:
            continue
        node = nodes.setdefault(node_key, {"entered": 0, "active": 0, "branches": {}})
        if metric in ("entered", "active"):
            node[metric] = count
        elif metric.startswith("branch:"):
            node["branches"][metric[7:]] = count
    tz = timezone_of(document)
    channels = {c.pk: c for c in Channel.objects.all()}
    prices = {c.key: c.cost_per_message for c in channels.values()}
    per_day, per_channel = defaultdict(Counter), Counter()
    for kind, channel_id, scheduled_at in Delivery.objects.filter(journey=box.journey).values_list("kind", "channel_id", "scheduled_at"):
        key = channels[channel_id].key if channel_id in channels else "webhook-action"
        per_day[timezone.localtime(scheduled_at, tz).date().isoformat()][key] += 1
        per_channel[key] += 1
    cost = {key: str(Decimal(n) * prices.get(key, Decimal(0))) for key, n in per_channel.items()}
    enrollments = dict(Enrollment.objects.filter(version=box.version).values_list("id", "assignments"))
    conversions = defaultdict(set)
    for enrollment_id, goal in GoalConversion.objects.filter(journey=box.journey).values_list("enrollment_id", "goal_key"):
        conversions[goal].add(enrollment_id)
    goals = [g["key"] for g in (document.get("settings") or {}).get("goals") or ()]
    variants = defaultdict(lambda: {"members": 0, "conversions": Counter()})
    for enrollment_id, assignments in enrollments.items():
        for node_key, variant in (assignments or {}).items():
            group = variants[f"{node_key}:{variant}"]
            group["members"] += 1
            for goal in goals:
                group["conversions"][goal] += enrollment_id in conversions[goal]
    statuses = dict(Enrollment.objects.filter(version=box.version).values("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "nodes": nodes,
        "enrolled": len(enrollments),
        "statuses": statuses,
        "deliveries": {"days": [{"day": day, "channels": dict(counts)} for day, counts in sorted(per_day.items())],
                       "channels": {key: {"count": n, "cost": cost[key],
                                          "cost_per_message": str(prices.get(key, Decimal(0)))}
                                    for key, n in sorted(per_channel.items())},
                       "total": sum(per_channel.values()),
                       "cost": str(sum((Decimal(c) for c in cost.values()), Decimal(0)))},
        "goals": {goal: {"conversions": len(conversions[goal]),
                         "rate": round(len(conversions[goal]) / len(enrollments), 4) if enrollments else 0.0} for goal in goals},
        "variants": {key: {"members": v["members"], "conversions": dict(v["conversions"]),
                           "rates": {g: round(v["conversions"][g] / v["members"], 4) for g in goals}}
                     for key, v in sorted(variants.items())},
    }
