"""Enrolment and event effects: which members enter, wake, convert or exit — decided set-based.

`handle_events(events)` is called by members.services.ingest_events inside the ingestion
transaction with the newly stored Event rows. `enroll_scheduled(now)` runs on every tick for
segment and inactivity entries. The writes themselves are journeys/engine.py's.
"""

import contextlib
import contextvars
from collections import defaultdict
from datetime import timedelta

from django.db.models import Max

from config.db import fetch_rows, with_ids

from . import engine
from .models import Enrollment, GoalConversion, Journey


# An `inactive` entry enrols members whose last event crossed the N-day mark within this span
# before the tick (so a stopped beat or a pause of up to a week loses nobody); older lapses, such as
# those already lapsed when the journey is published, are not back-filled.
LAPSE_CATCH_UP = timedelta(days=7)

# Set by `only_versions`: the version ids event effects are limited to (None: every live journey).
_only_versions = contextvars.ContextVar("journey_canvas_only_versions", default=None)


@contextlib.contextmanager
def only_versions(version_ids):
    """Limit event effects (entries, wake-ups, goals, exits) to these versions for the block.

    The forecasts app runs a draft in isolation with it: events ingested for its synthetic members,
    including those the engine itself records (points, coupons), must not reach live journeys.
    """
    token = _only_versions.set(frozenset(version_ids))
    try:
        yield
    finally:
        _only_versions.reset(token)


def _live_versions(graphs):
    """(journey id, version id, graph) of every live journey (or of the `only_versions` ones)."""
    rows = Journey.objects.filter(status=Journey.Status.LIVE, current_version__isnull=False)
    if _only_versions.get() is not None:
        rows = rows.filter(current_version_id__in=list(_only_versions.get()))
    rows = list(rows.values_list("id", "current_version_id"))
    graphs.load(version_id for _, version_id in rows)
    return [(journey_id, version_id, graphs[version_id][0]) for journey_id, version_id in rows]


def handle_events(events, *, versions=None):
    """Apply a batch of stored events: enrol, wake waiting members, record goals, apply exit_on.

    Every effect happens at the event's occurred_at. `versions` (ids) limits the effects to those
    versions, like `only_versions`.
    """
    events = [e for e in events if e is not None]
    if not events:
        return
    if versions is not None:
        with only_versions(versions):
            return handle_events(events)
    graphs = engine.Graphs()
    _enroll_from_events(events, _live_versions(graphs), graphs)
    _wake_waiting(events, graphs)
    _goals_and_exits(events, graphs)


def _restricted(enrollments):
    """An Enrollment queryset limited to the `only_versions` versions, when set."""
    versions = _only_versions.get()
    return enrollments if versions is None else enrollments.filter(version_id__in=list(versions))


def _matching_events(events, where):
    """The subset of `events` whose properties/value satisfy an event `where` RULE (one query)."""
    if not where:
        return events
    from members.models import Event
    from members.rules import compile_event_where

    ids = {row[0] for row in fetch_rows(with_ids(Event.objects.filter(compile_event_where(where)), "id",
                                                 [e.id for e in events]).values_list("id"))}
    return [e for e in events if e.id in ids]


def _enroll_from_events(events, live, graphs):
    by_name = defaultdict(list)
    for event in events:
        by_name[event.name].append(event)
    for _journey_id, version_id, graph in live:
        config = graph.config(graph.entry) if graph.entry else {}
        trigger = config.get("event")
        if not trigger or trigger not in by_name:
            continue
        firsts = {}
        for event in sorted(_matching_events(by_name[trigger], config.get("where")), key=lambda e: e.occurred_at):
            firsts.setdefault(event.member_id, event.occurred_at)
        version = _version(version_id)
        engine.enroll(version, reentry_allowed(version, firsts, graphs=graphs))


def _version(version_id):
    from .models import JourneyVersion

    return JourneyVersion.objects.only("id", "journey_id", "number").get(pk=version_id)


def reentry_allowed(version, member_times, *, graphs=None):
    """The subset of {member_id: at} that the journey's re-entry setting lets in at that moment."""
    if not member_times:
        return {}
    graphs = engine.Graphs() if graphs is None else graphs
    mode = graphs[version.pk][0].settings.get("reentry") or {"mode": "never"}
    previous = defaultdict(list)
    for member_id, status, finished_at in fetch_rows(with_ids(Enrollment.objects.filter(journey_id=version.journey_id),
                                                              "member_id", member_times)
                                                     .values_list("member_id", "status", "finished_at")):
        previous[member_id].append((status, finished_at))
    allowed = {}
    for member_id, at in member_times.items():
        history = previous.get(member_id, [])
        if any(status in Enrollment.OPEN for status, _ in history):
            continue
        if history and mode.get("mode") == "never":
            continue
        if history and mode.get("mode") == "after":
            last = max(finished for _, finished in history if finished is not None)
            if at < last + timedelta(days=mode["days"]):
                continue
        allowed[member_id] = at
    return allowed


def _wake_waiting(events, graphs):
    names = {e.name for e in events}
    waiting = fetch_rows(with_ids(_restricted(Enrollment.objects.filter(status=Enrollment.Status.WAITING, waiting_for__in=names)),
                                  "member_id", {e.member_id for e in events})
                         .values_list("id", "member_id", "version_id", "node_key", "node_entered_at", "due_at"))
    by_node = defaultdict(list)
    for row in waiting:
        by_node[(row[2], row[3])].append(row)
    wakes = {}
    for (version_id, node_key), rows in by_node.items():
        node = graphs[version_id][0].nodes.get(node_key) or {}
        config = node.get("config") or {}
        times = defaultdict(list)
        for event in _matching_events([e for e in events if e.name == config.get("event")], config.get("where")):
            times[event.member_id].append(event.occurred_at)
        for enrollment_id, member_id, _v, _k, arrived_at, due_at in rows:
            candidates = [t for t in times.get(member_id, ()) if t > arrived_at and (due_at is None or t < due_at)]
            if candidates:
                wakes[enrollment_id] = min(candidates)
    engine.wake(wakes)


def _goals_and_exits(events, graphs):
    """Goal conversions (nth matching event since enrolment, within the window) and exit_on, for every
    enrolment of the batch's members that these events can affect."""
    from members.models import Event

    members = {e.member_id for e in events}
    names = {e.name for e in events}
    latest = max(e.occurred_at for e in events)
    enrollments = fetch_rows(with_ids(_restricted(Enrollment.objects.filter(enrolled_at__lte=latest)), "member_id", members)
                             .values_list("id", "member_id", "version_id", "status", "enrolled_at"))
    wanted, exits = [], {}
    event_times = defaultdict(list)
    for event in events:
        event_times[(event.member_id, event.name)].append(event.occurred_at)
    graphs.load(row[2] for row in enrollments)
    for enrollment_id, member_id, version_id, status, enrolled_at in enrollments:
        settings = graphs[version_id][0].settings
        if status in Enrollment.OPEN:
            hits = sorted((t, name) for name in settings.get("exit_on") or () if name in names
                          for t in event_times.get((member_id, name), ()) if t >= enrolled_at)
            if hits:
                exits[enrollment_id] = (hits[0][0], f"exit_on: {hits[0][1]}")
        for goal in settings.get("goals") or ():
            end = enrolled_at + timedelta(days=goal["window_days"])
            if any(enrolled_at <= t <= end for t in event_times.get((member_id, goal["event"]), ())):
                wanted.append((enrollment_id, member_id, enrolled_at, end, goal))
    if wanted:
        done = set(fetch_rows(with_ids(GoalConversion.objects.all(), "enrollment_id", {w[0] for w in wanted})
                              .values_list("enrollment_id", "goal_key")))
        wanted = [w for w in wanted if (w[0], w[4]["key"]) not in done]
    conversions = []
    by_where = defaultdict(list)
    for item in wanted:
        by_where[repr(item[4].get("where"))].append(item)
    for group in by_where.values():
        where = group[0][4].get("where")
        history = with_ids(Event.objects.filter(name__in={w[4]["event"] for w in group}, occurred_at__gte=min(w[2] for w in group),
                                                occurred_at__lte=max(w[3] for w in group)), "member_id", {w[1] for w in group})
        if where:
            from members.rules import compile_event_where

            history = history.filter(compile_event_where(where))
        series = defaultdict(list)
        for member_id, name, occurred_at, value in fetch_rows(history.order_by("occurred_at", "id")
                                                              .values_list("member_id", "name", "occurred_at", "value")):
            series[(member_id, name)].append((occurred_at, value))
        for enrollment_id, member_id, enrolled_at, end, goal in group:
            inside = [(t, v) for t, v in series.get((member_id, goal["event"]), ()) if enrolled_at <= t <= end]
            nth = goal.get("nth", 1)
            if len(inside) >= nth:
                converted_at, value = inside[nth - 1]
                conversions.append((enrollment_id, goal["key"], converted_at, value))
    engine.record_conversions(conversions)
    engine.end_enrollments(exits)


def enroll_scheduled(now):
    """Tick-time entries: members who entered a segment since the last refresh, and members gone inactive."""
    from members.models import Event, Member, Segment

    total, graphs = 0, engine.Graphs()
    for journey_id, version_id, graph in _live_versions(graphs):
        config = graph.config(graph.entry) if graph.entry else {}
        version = None
        if "segment" in config:
            from members.segments import refresh

            segment = Segment.objects.filter(slug=config["segment"]).first()
            if segment is None:
                continue
            version = _version(version_id)
            total += engine.enroll(version, reentry_allowed(version, {m: now for m in refresh(segment, now=now)}, graphs=graphs))
        elif "inactive" in config:
            spec = config["inactive"]
            cutoff = now - timedelta(days=spec["days"])
            # Members who crossed the N-day mark recently: a range scan of the (name, occurred_at) index
            # instead of every member's history on every tick. LAPSE_CATCH_UP covers missed ticks.
            recent_events = Event.objects.filter(name=spec["event"], occurred_at__gt=cutoff - LAPSE_CATCH_UP,
                                                 occurred_at__lte=cutoff)
            lapsed = dict(recent_events.values("member_id").annotate(last=Max("occurred_at")).values_list("member_id", "last"))
            active_since = set(Event.objects.filter(name=spec["event"], occurred_at__gt=cutoff, member_id__in=list(lapsed))
                               .values_list("member_id", flat=True))
            lapsed = {m: last for m, last in lapsed.items() if m not in active_since}
            if config.get("where") and lapsed:
                from members.rules import compile_rule

                lapsed = {m: lapsed[m] for m in Member.objects.filter(id__in=list(lapsed))
                          .filter(compile_rule(config["where"], now=now)).values_list("id", flat=True)}
            # One enrolment per lapse: not for members enrolled since their last such event.
            recent = {m for m, enrolled in Enrollment.objects.filter(journey_id=journey_id, member_id__in=list(lapsed))
                      .values_list("member_id", "enrolled_at") if enrolled >= lapsed[m]}
            candidates = {m: now for m in lapsed if m not in recent}
            if candidates:
                version = _version(version_id)
                total += engine.enroll(version, reentry_allowed(version, candidates, graphs=graphs))
    return total
