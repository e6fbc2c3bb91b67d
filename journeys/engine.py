"""The engine: the only writer of enrollment state.

A tick claims a batch of due enrolments (`FOR UPDATE SKIP LOCKED` on PostgreSQL), groups them by
(version, node), lets each node type handle its whole group, follows the edges of those that
leave (a member may pass several instant nodes in one tick, at most MAX_HOPS), and writes
everything in one transaction: enrolment updates, the step log, outbox rows, counters and
action side effects. A failure anywhere rolls the whole batch back; the next tick redoes it.

Time: each step happens at the moment it became due (`due_at`: a delay's end, the event that
woke a wait), never later than the engine's clock, so simulation with `tick --at` and late ticks
give the same trace. Outbox rows are scheduled at the engine's now.
"""

import json
import logging
from collections import Counter, defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from config.db import fetch_rows, pg_array, server_cursor, with_ids

from . import clock
from .document import Graph, timezone_of
from .models import Enrollment, GoalConversion, Journey, JourneyVersion, NodeStat, StepLog
from .nodes import REGISTRY

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
MAX_HOPS = 64
CLAIM_RETRIES = 3
ACTIVE, WAITING, COMPLETED, EXITED = "active", "waiting", "completed", "exited"


class Graphs(dict):
    """Parsed documents of versions by id, loaded on first use for one batch or one call.

    Deliberately not a process-wide cache: it is one small query per batch, and it can never
    serve a stale graph for a reused id (SQLite reuses ids after a rollback).
    """

    def __missing__(self, version_id):
        self.load([version_id])
        return self[version_id]

    def load(self, version_ids):
        wanted = [i for i in set(version_ids) if i not in self]
        for version_id, document in JourneyVersion.objects.filter(id__in=wanted).values_list("id", "document"):
            self[version_id] = (Graph.of(document), timezone_of(document))
        return self


def shard_of(member_id):
    return member_id % settings.ENGINE_SHARDS


class Step:
    """One enrolment moving through the engine in this batch."""

    __slots__ = ("id", "member_id", "journey_id", "version_id", "node_key", "visit", "arrived_at", "enrolled_at",
                 "assignments", "time", "resuming", "outcome", "branch", "note", "due_at", "waiting_for",
                 "status", "reason", "assignments_changed")

    def __init__(self, row):
        (self.id, self.member_id, self.journey_id, self.version_id, self.node_key, self.visit, self.arrived_at,
         self.enrolled_at, self.assignments, status, due_at) = row
        self.time = max(due_at, self.arrived_at)
        self.resuming = status == WAITING
        self.assignments_changed = False
        self.waiting_for = ""
        self.status = status
        self.reason = ""
        self.due_at = None

    def _reset(self):
        self.outcome = self.branch = self.note = None

    def leave(self, branch, note=""):
        self.outcome, self.branch, self.note = "leave", branch, note

    def hold(self, due_at, waiting_for="", note=""):
        self.outcome, self.due_at, self.waiting_for, self.note = "hold", due_at, waiting_for, note

    def finish(self, status, reason):
        self.outcome, self.status, self.reason, self.note = "finish", status, reason, reason

    def assign(self, node_key, variant):
        self.assignments = {**self.assignments, node_key: variant}
        self.assignments_changed = True


class Run:
    """A batch's context for node handlers: set-based lookups and the side effects to write."""

    def __init__(self, now, graphs):
        self.now = now
        self.graphs = graphs
        self.journeys = {}
        self.deliveries = []
        self.tag_adds, self.tag_removes, self.attributes, self.points, self.events = [], [], [], [], []
        self._channels, self._templates, self._priorities, self._variants = {}, {}, {}, {}
        self.skipped = {}

    def graph(self, step):
        return self.graphs[step.version_id][0]

    def timezone(self, step):
        return self.graphs[step.version_id][1]

    def local_timezones(self, steps):
        """{member_id: zone} for the steps' members: their own time zone if set, else the journey's."""
        from members.models import Member

        own = {}
        rows = with_ids(Member.objects.exclude(timezone=""), "id", {s.member_id for s in steps}).values_list("id", "timezone")
        for member_id, name in rows:
            try:
                own[member_id] = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue  # an unknown zone name falls back to the journey's
        return {s.member_id: own.get(s.member_id) or self.timezone(s) for s in steps}

    def settings(self, step):
        return self.graph(step).settings

    def split_override(self, journey_id, node_key):
        return (self.journeys.get(journey_id) or {}).get(node_key)

    def first_events(self, steps, event, where, *, until):
        """Per step id, the first `event` (matching `where`) after its arrival and no later than until[step.id]."""
        from members.models import Event

        events = with_ids(Event.objects.filter(name=event, occurred_at__gt=min(s.arrived_at for s in steps),
                                               occurred_at__lte=max(until.values())),
                          "member_id", {s.member_id for s in steps})
        if where:
            from members.rules import compile_event_where

            events = events.filter(compile_event_where(where))
        times = defaultdict(list)
        for member_id, occurred_at in events.order_by("occurred_at").values_list("member_id", "occurred_at"):
            times[member_id].append(occurred_at)
        firsts = {}
        for step in steps:
            for occurred_at in times.get(step.member_id, ()):
                if occurred_at > step.arrived_at:
                    if occurred_at <= until[step.id]:
                        firsts[step.id] = occurred_at
                    break
        return firsts

    def members_matching(self, rule, steps):
        """Ids of the steps' members that satisfy a RULE now; `{"goal": K}` looks at this batch's enrolments."""
        from members.models import Member
        from members.rules import compile_rule

        enrollment_ids = [s.id for s in steps]

        def goal_resolver(key):
            return Q(id__in=GoalConversion.objects.filter(enrollment_id__in=enrollment_ids, goal_key=key,
                                                          converted_at__lte=self.now).values("member_id"))

        query = compile_rule(rule, now=self.now, goal_resolver=goal_resolver)
        return set(with_ids(Member.objects.filter(query), "id", {s.member_id for s in steps}).values_list("id", flat=True))

    def segment_rule(self, slug):
        from members.models import Segment

        return Segment.objects.filter(slug=slug).values_list("rule", flat=True).first()

    def queue_message(self, step, channel_key, template_slug):
        from touchpoints.models import Channel, Template

        if channel_key not in self._channels:
            self._channels[channel_key] = Channel.objects.filter(key=channel_key).values_list("id", flat=True).first()
        if template_slug not in self._templates:
            self._templates[template_slug] = Template.objects.filter(slug=template_slug).values_list("id", flat=True).first()
        channel_id, template_id = self._channels[channel_key], self._templates[template_slug]
        if channel_id is None or template_id is None:
            self.skipped[step.id] = f"skipped: channel {channel_key} or template {template_slug} no longer exists"
            return
        self._delivery(step, "message", channel_id, template_id, "{}")

    def _delivery(self, step, kind, channel_id, template_id, payload):
        # Steps share their assignments dict until a split changes it (see _claim): label each dict once.
        # The cache holds the dict itself, so its id cannot be reused by another dict during the batch.
        labelled = self._variants.get(id(step.assignments))
        if labelled is None:
            variant = ",".join(f"{node}:{variant}" for node, variant in step.assignments.items())[:64]
            labelled = self._variants[id(step.assignments)] = (step.assignments, variant)
        variant = labelled[1]
        priority = self._priorities.get(step.version_id)
        if priority is None:
            priority = self._priorities[step.version_id] = int(self.settings(step).get("priority") or 0)
        self.deliveries.append((kind, step.id, step.member_id, step.journey_id, step.version_id, step.node_key,
                                step.visit, variant, channel_id, template_id, payload, priority, "queued", "",
                                self.now, 0, "", 0, self.now))

    def _event(self, step, name, properties):
        # Keyed by the visit, so a redone batch can never record the grant twice.
        self.events.append((step.member_id, name, properties, step.time.isoformat(),
                            f"jc-{step.id}-{step.node_key}-{step.visit}"))

    def queue_action(self, step, kind, value):
        if kind == "add_tag":
            self.tag_adds.append((step.member_id, value))
        elif kind == "remove_tag":
            self.tag_removes.append((step.member_id, value))
        elif kind == "set_attribute":
            self.attributes.append((step.member_id, value))
        elif kind == "grant_points":
            self.points.append((step.member_id, value))
            self._event(step, "points_granted", {"points": value})
        elif kind == "grant_coupon":
            self._event(step, "coupon_granted", {"coupon": value})
        elif kind == "webhook":
            self._delivery(step, "webhook", None, None, json.dumps({"url": value["url"]}))


# --- Ticking ------------------------------------------------------------------------------------

def advance(shard=None, *, now=None, batch_size=BATCH_SIZE, versions=None):
    """Advance every due enrolment of live journeys (one shard, or all) as of `now`; returns steps taken.

    `versions` (ids) restricts the run to those versions' enrolments — the forecasts app's isolated
    runs, which must never claim (lock) a live enrolment.
    """
    now = now or clock.now()
    total = 0
    while True:
        moved = advance_batch(shard, now=now, batch_size=batch_size, versions=versions)
        if moved is None:
            return total
        total += moved


def advance_batch(shard=None, *, now, batch_size=BATCH_SIZE, versions=None):
    """Claim, run and commit one batch. Returns the steps taken, or None when nothing was due."""
    for attempt in range(CLAIM_RETRIES):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Check foreign keys as rows are written, not at commit, which would keep the
                    # counter rows (updated last) locked against the other shards' batches meanwhile.
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                steps = _claim(shard, now, batch_size, versions)
                if not steps:
                    return None
                return _run(steps, now)
        except IntegrityError as exc:
            if not _is_unique_violation(exc):
                raise
            # Only a concurrent runner that stepped the same enrolment first gets here (the step log
            # and outbox keys are unique per visit) — possible on SQLite, which has no SKIP LOCKED.
            if attempt == CLAIM_RETRIES - 1:
                raise
            log.info("engine batch lost a race on shard %s; claiming again", shard)
    return None


def _claim(shard, now, batch_size, versions=None):
    due = Enrollment.objects.filter(status__in=Enrollment.OPEN, due_at__lte=now, journey__status=Journey.Status.LIVE)
    if versions is not None:
        due = due.filter(version_id__in=list(versions))
    if shard is not None:
        due = due.filter(shard=shard)
    query = (due.select_for_update(skip_locked=True, of=("self",)).order_by("due_at")
             .annotate(assignments_text=Cast("assignments", TextField()))
             .values_list("id", "member_id", "journey_id", "version_id", "node_key", "visit", "node_entered_at",
                          "enrolled_at", "assignments_text", "status", "due_at")[:batch_size])
    # Plain tuples, on PostgreSQL in binary form: the ORM's per-row converters, and the text timestamp
    # parsing of Django's cursor, cost more than the claim itself. Split assignments repeat a few
    # combinations across a batch: each distinct one is parsed once and shared (Step.assign copies).
    parsed = {}
    steps = []
    for row in fetch_rows(query):
        text = row[8]
        if text not in parsed:
            parsed[text] = json.loads(text) if text else {}
        steps.append(Step((*row[:8], parsed[text], *row[9:])))
    return steps


def _run(steps, now):
    run = Run(now, Graphs().load({s.version_id for s in steps}))
    run.journeys = dict(Journey.objects.filter(id__in={s.journey_id for s in steps}).values_list("id", "split_overrides"))
    writer = Writer(run)
    writer.load_conversions(steps)
    pending, taken = steps, 0
    for _hop in range(MAX_HOPS):
        if not pending:
            break
        groups = defaultdict(list)
        for step in pending:
            step._reset()
            groups[(step.version_id, step.node_key)].append(step)
        pending = []
        for (version_id, node_key), group in groups.items():
            graph = run.graphs[version_id][0]
            node = graph.nodes.get(node_key)
            if node is None:
                for step in group:
                    step.finish(EXITED, f"node {node_key} is not in this version")
            else:
                REGISTRY[node["type"]].handle(group, node, run)
            taken += len(group)
            for step in group:
                if writer.apply(step, graph):
                    pending.append(step)
    for step in pending:
        # Out of hops this tick (a long chain, or a catch-up through short delays): continue next tick.
        writer.settle(step, ACTIVE if not step.resuming else WAITING, due_at=now + timedelta(microseconds=1))
    writer.write()
    return taken


class Writer:
    """Collects a batch's outcomes and writes them set-based in the caller's transaction."""

    def __init__(self, run):
        self.run = run
        self.updates = {}
        self.logs = []
        self.stats = Counter()
        # (journey, version, node, branch or None, next node or None) -> members: one count per step,
        # turned into the node counters once per batch.
        self.moves = Counter()
        self.converted = defaultdict(set)  # enrollment id -> goal keys, for per-node conversion counters
        self.visited = defaultdict(set)  # enrollment id -> (version, node) already counted for its conversions

    def load_conversions(self, steps):
        ids = [s.id for s in steps]
        for enrollment_id, goal in with_ids(GoalConversion.objects.all(), "enrollment_id", ids).values_list("enrollment_id", "goal_key"):
            self.converted[enrollment_id].add(goal)
        if self.converted:
            visited = with_ids(StepLog.objects.all(), "enrollment_id", self.converted).values_list("enrollment_id", "version_id",
                                                                                                     "node_key")
            for enrollment_id, version_id, node_key in visited:
                self.visited[enrollment_id].add((version_id, node_key))
            for step in steps:
                if step.id in self.converted:
                    self.visited[step.id].add((step.version_id, step.node_key))

    def apply(self, step, graph):
        """Record one handler outcome; True when the step continues in this tick."""
        run = self.run
        if step.outcome == "hold":
            if step.due_at <= run.now:
                step.time, step.resuming = max(step.time, step.due_at), True
                return True
            self.settle(step, WAITING, due_at=step.due_at)
            return False
        if step.outcome not in ("leave", "finish"):
            raise RuntimeError(f"node {step.node_key} left enrolment {step.id} without an outcome")
        note = run.skipped.pop(step.id, "") or step.note or ""
        self.logs.append((step.id, step.journey_id, step.version_id, step.member_id, step.node_key, step.visit,
                          step.arrived_at, step.time, step.branch or "", note[:255]))
        if step.outcome == "finish":
            self.moves[(step.journey_id, step.version_id, step.node_key, None, None)] += 1
            self.settle(step, step.status, finished=True)
            return False
        target = graph.next(step.node_key, step.branch)
        self.moves[(step.journey_id, step.version_id, step.node_key, step.branch, target)] += 1
        if target is None:
            step.status, step.reason = COMPLETED, f"end of path at {step.node_key} ({step.branch})"
            self.settle(step, COMPLETED, finished=True)
            return False
        step.node_key, step.visit, step.arrived_at, step.resuming = target, step.visit + 1, step.time, False
        there = (step.journey_id, step.version_id, target)
        for goal in self.converted.get(step.id, ()):
            if (step.version_id, target) not in self.visited[step.id]:
                self.stats[(*there, f"conversion:{goal}")] += 1
        if step.id in self.converted:
            self.visited[step.id].add((step.version_id, target))
        return True

    def settle(self, step, status, *, due_at=None, finished=False):
        self.updates[step.id] = (
            step.id, status, step.node_key, step.visit, None if finished else due_at,
            step.waiting_for if status == WAITING else "",
            json.dumps(step.assignments) if step.assignments_changed else None,
            step.arrived_at, step.time if finished else None, step.reason[:64] if finished else "",
        )

    def write(self):
        run = self.run
        bulk_update_enrollments(list(self.updates.values()))
        insert_rows(StepLog, ["enrollment", "journey", "version", "member", "node_key", "visit", "arrived_at", "left_at",
                              "branch", "note"], self.logs)
        if run.deliveries:
            from touchpoints.models import Delivery

            insert_rows(Delivery, ["kind", "enrollment", "member", "journey", "version", "node_key", "visit", "variant",
                                   "channel", "template", "payload", "priority", "status", "reason", "scheduled_at",
                                   "attempts", "provider_message_id", "cost", "created_at"], run.deliveries)
        _apply_member_actions(run)
        for (journey_id, version_id, node_key, branch, target), n in self.moves.items():
            self.stats[(journey_id, version_id, node_key, "active")] -= n
            if branch is not None:
                self.stats[(journey_id, version_id, node_key, f"branch:{branch}")] += n
            if target is not None:
                self.stats[(journey_id, version_id, target, "entered")] += n
                self.stats[(journey_id, version_id, target, "active")] += n
        # Last: concurrent batches share these counter rows, so hold their locks only until commit.
        bump_stats(self.stats)


# --- Set-based writes ---------------------------------------------------------------------------

# The columns bulk_update_enrollments writes, in its rows' order after the id, with their SQL types.
ENROLLMENT_UPDATE_TYPES = {"status": "text", "node_key": "text", "visit": "integer", "due_at": "timestamptz",
                           "waiting_for": "text", "assignments": "text", "node_entered_at": "timestamptz",
                           "finished_at": "timestamptz", "exit_reason": "text"}


def bulk_update_enrollments(rows):
    """rows: (id, status, node_key, visit, due_at, waiting_for, assignments JSON or None to keep, node_entered_at,
    finished_at, exit_reason). One statement on PostgreSQL."""
    if not rows:
        return
    rows = sorted(rows)  # in key order: neighbouring rows share index pages, and locks are taken in one order
    with (server_cursor() if connection.vendor == "postgresql" else connection.cursor()) as cursor:
        if connection.vendor == "postgresql":
            # A column with one value for the whole batch (the status, a wait's event, no finish…) is one
            # parameter; the others are arrays unnested with the ids. Assignments left as None are kept.
            columns = list(zip(*rows))
            sets, arrays, params, names = [], ["%s::bigint[]"], [], ["id"]
            array_params = [pg_array(columns[0], "bigint")]
            for index, (name, sql_type) in enumerate(ENROLLMENT_UPDATE_TYPES.items(), start=1):
                column = columns[index]
                if name == "assignments":
                    if column.count(None) == len(column):
                        continue
                    sets.append("assignments = COALESCE(v.assignments::jsonb, e.assignments)")
                elif column.count(column[0]) == len(column):
                    sets.append(f"{name} = %s::{sql_type}")
                    params.append(column[0])
                    continue
                else:
                    sets.append(f"{name} = v.{name}")
                arrays.append(f"%s::{sql_type}[]")
                array_params.append(pg_array(column, sql_type))
                names.append(name)
            cursor.execute(
                f"""UPDATE journeys_enrollment AS e SET {", ".join(sets)}
                   FROM unnest({", ".join(arrays)}) AS v({", ".join(names)}) WHERE e.id = v.id""",
                params + array_params,
            )
        else:
            ops = connection.ops
            cursor.executemany(
                """UPDATE journeys_enrollment SET status = %s, node_key = %s, visit = %s, due_at = %s, waiting_for = %s,
                       assignments = COALESCE(%s, assignments), node_entered_at = %s, finished_at = %s, exit_reason = %s
                   WHERE id = %s""",
                [(r[1], r[2], r[3], ops.adapt_datetimefield_value(r[4]), r[5], r[6], ops.adapt_datetimefield_value(r[7]),
                  ops.adapt_datetimefield_value(r[8]), r[9], r[0]) for r in rows],
            )


def insert_rows(model, field_names, rows, *, suffix=""):
    """Insert tuples (values in field_names order; JSON as text) in one statement on PostgreSQL.

    `suffix` is appended (e.g. ON CONFLICT … RETURNING …); returned rows come back as a list.
    """
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in field_names]
    # Columns this caller does not set get their model default, so other apps may add fields freely.
    rest = [f for f in model._meta.concrete_fields if f not in fields and not f.primary_key]
    defaults = tuple(_default(f) for f in rest)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields + rest)
    table = connection.ops.quote_name(model._meta.db_table)
    # Server-side binding on PostgreSQL: the array literals travel as parameters, not quoted into the SQL text.
    with (server_cursor() if connection.vendor == "postgresql" else connection.cursor()) as cursor:
        if connection.vendor == "postgresql":
            # Columns with one value for every row (defaults, the journey, "queued"…) go as a single
            # parameter; the others as one array literal each, unnested into rows by the server (at
            # least one, so that unnest yields the rows).
            selected, arrays, array_params, scalar_params = [], [], [], []
            for index, (field, column) in enumerate(zip(fields, zip(*rows))):
                sql_type = _array_type(field)
                if column.count(column[0]) == len(column) and (arrays or index < len(fields) - 1):
                    selected.append(f"%s::{sql_type}")
                    scalar_params.append(column[0])
                else:
                    selected.append(f"u.c{index}")
                    arrays.append((f"%s::{sql_type}[]", f"c{index}"))
                    array_params.append(pg_array(column, sql_type))
            for field, value in zip(rest, defaults):
                selected.append(f"%s::{_array_type(field)}")
                scalar_params.append(value)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} "
                f"FROM unnest({', '.join(a for a, _ in arrays)}) AS u({', '.join(c for _, c in arrays)}) {suffix}",
                scalar_params + array_params,
            )
            return cursor.fetchall() if "RETURNING" in suffix else []
        fields += rest
        rows = [(*row, *defaults) for row in rows]
        returned = []
        datetimes = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
            params = []
            for row in chunk:
                row = list(row)
                for i in datetimes:
                    row[i] = connection.ops.adapt_datetimefield_value(row[i])
                params.extend(row)
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders} {suffix}", params)
            if "RETURNING" in suffix:
                returned.extend(cursor.fetchall())
        return returned


def _default(field):
    if not field.has_default():
        if field.null:
            return None
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value")
    value = field.get_default()
    return json.dumps(value) if field.get_internal_type() == "JSONField" else value


def _is_unique_violation(exc):
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc)


def _array_type(field):
    kind = field.get_internal_type()
    if kind == "JSONField":
        return "jsonb"
    if kind in ("CharField", "SlugField", "TextField"):
        return "text"
    return field.rel_db_type(connection) if field.is_relation else field.db_type(connection)


def bump_stats(stats):
    """Add deltas to NodeStat counters; rows in a fixed order so concurrent batches never deadlock."""
    rows = sorted((key, delta) for key, delta in stats.items() if delta)
    if not rows:
        return
    placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params = [value for (journey_id, version_id, node_key, metric), delta in rows
              for value in (journey_id, version_id, node_key, metric, delta)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO journeys_nodestat (journey_id, version_id, node_key, metric, count) VALUES {placeholders}
                ON CONFLICT (version_id, node_key, metric) DO UPDATE SET count = journeys_nodestat.count + excluded.count""",
            params,
        )


def _apply_member_actions(run):
    """Action nodes' effects on members, set-based; exactly once because the step itself is."""
    from members.models import Member, MemberTag, Tag

    names = {name for _, name in run.tag_adds + run.tag_removes}
    if names:
        Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        if run.tag_adds:
            MemberTag.objects.bulk_create([MemberTag(member_id=m, tag_id=tag_ids[n]) for m, n in run.tag_adds],
                                          ignore_conflicts=True)
        removals = defaultdict(set)
        for member_id, name in run.tag_removes:
            removals[tag_ids[name]].add(member_id)
        for tag_id, member_ids in removals.items():
            with_ids(MemberTag.objects.filter(tag_id=tag_id), "member_id", member_ids).delete()
    if run.attributes:
        members = Member.objects.in_bulk({m for m, _ in run.attributes})
        for member_id, values in run.attributes:
            members[member_id].attributes = {**(members[member_id].attributes or {}), **values}
        Member.objects.bulk_update(members.values(), ["attributes"])
    if run.points:
        totals = Counter()
        for member_id, points in run.points:
            totals[member_id] += points
        members = Member.objects.in_bulk(list(totals))
        for member_id, points in totals.items():
            members[member_id].points += points
        Member.objects.bulk_update(members.values(), ["points"])
    if run.events:
        from members.services import ingest_events

        external = dict(Member.objects.filter(id__in={e[0] for e in run.events}).values_list("id", "external_id"))
        ingest_events([{"member": external[member_id], "name": name, "properties": properties, "occurred_at": at, "id": key}
                       for member_id, name, properties, at, key in run.events])


# --- Enrolment, wake-ups, exits, conversions and migration (called by entry.py and services.py) --------

def enroll(version, member_times, *, assignments=None):
    """Open an enrolment at the entry node for each {member_id: at}; returns how many were opened.

    Members with an open enrolment in the journey are skipped by the database's partial unique index.
    `assignments` ({member_id: {split node: variant}}) pre-sets split variants: a single-member test
    replays the variants the real member would get, whose hash uses the real member's id.
    """
    if not member_times:
        return 0
    graph = Graphs()[version.pk][0]
    assignments = assignments or {}
    rows = [(version.journey_id, version.pk, member_id, ACTIVE, graph.entry, 1, at, "", shard_of(member_id),
             json.dumps(assignments.get(member_id) or {}), at, at, "")
            for member_id, at in sorted(member_times.items())]
    inserted = insert_rows(
        Enrollment, ["journey", "version", "member", "status", "node_key", "visit", "due_at", "waiting_for", "shard",
                     "assignments", "enrolled_at", "node_entered_at", "exit_reason"], rows,
        suffix="ON CONFLICT DO NOTHING RETURNING id",
    )
    if inserted:
        bump_stats({(version.journey_id, version.pk, graph.entry, "entered"): len(inserted),
                    (version.journey_id, version.pk, graph.entry, "active"): len(inserted)})
    return len(inserted)


def wake(enrollment_times):
    """Make waiting enrolments due at the moment of the event they wait for ({enrollment_id: occurred_at})."""
    if not enrollment_times:
        return
    items = sorted(enrollment_times.items())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """UPDATE journeys_enrollment AS e SET due_at = v.at
                   FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at)
                   WHERE e.id = v.id AND e.status = 'waiting' AND e.due_at > v.at""",
                [pg_array([i for i, _ in items], "bigint"), pg_array([at for _, at in items], "timestamptz")],
            )
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany("UPDATE journeys_enrollment SET due_at = %s WHERE id = %s AND status = 'waiting' AND due_at > %s",
                               [(adapt(at), i, adapt(at)) for i, at in items])


def end_enrollments(enrollment_reasons, *, status=EXITED):
    """End open enrolments at once ({enrollment_id: (at, reason)}), e.g. on an exit_on event."""
    if not enrollment_reasons:
        return 0
    rows = fetch_rows(with_ids(Enrollment.objects.select_for_update().filter(status__in=Enrollment.OPEN), "id", enrollment_reasons)
                      .order_by("id").values_list("id", "journey_id", "version_id", "member_id", "node_key", "visit",
                                                  "node_entered_at"))
    logs, updates, stats = [], [], Counter()
    for enrollment_id, journey_id, version_id, member_id, node_key, visit, arrived_at in rows:
        at, reason = enrollment_reasons[enrollment_id]
        at = max(at, arrived_at)
        logs.append((enrollment_id, journey_id, version_id, member_id, node_key, visit, arrived_at, at, "", reason[:255]))
        updates.append((enrollment_id, status, node_key, visit, None, "", None, arrived_at, at, reason[:64]))
        stats[(journey_id, version_id, node_key, "active")] -= 1
    bulk_update_enrollments(updates)
    insert_rows(StepLog, ["enrollment", "journey", "version", "member", "node_key", "visit", "arrived_at", "left_at",
                          "branch", "note"], logs)
    bump_stats(stats)
    return len(rows)


def record_conversions(conversions):
    """Insert goal conversions [(enrollment_id, goal_key, converted_at, value)] once each, and count them on every
    node the enrolment has visited (later visits are counted by the engine as members arrive)."""
    if not conversions:
        return 0
    enrollment_ids = sorted({c[0] for c in conversions})
    # Locked so a batch moving these members cannot slip a node between "visited" and the counter.
    where = {row[0]: row[1:] for row in fetch_rows(with_ids(Enrollment.objects.select_for_update(), "id", enrollment_ids)
                                                    .order_by("id").values_list("id", "journey_id", "member_id", "version_id",
                                                                                "node_key"))}
    rows = [(where[e][0], e, where[e][1], goal, at, value) for e, goal, at, value in conversions if e in where]
    inserted = insert_rows(GoalConversion, ["journey", "enrollment", "member", "goal_key", "converted_at", "value"], rows,
                           suffix="ON CONFLICT DO NOTHING RETURNING enrollment_id, goal_key")
    if not inserted:
        return 0
    visited = defaultdict(set)
    for enrollment_id, version_id, node_key in fetch_rows(with_ids(StepLog.objects.all(), "enrollment_id", {e for e, _ in inserted})
                                                          .values_list("enrollment_id", "version_id", "node_key")):
        visited[enrollment_id].add((version_id, node_key))
    stats = Counter()
    for enrollment_id, goal in inserted:
        journey_id, _member_id, version_id, node_key = where[enrollment_id]
        visited[enrollment_id].add((version_id, node_key))
        for version, node in visited[enrollment_id]:
            stats[(journey_id, version, node, f"conversion:{goal}")] += 1
        stats[(journey_id, version_id, "", f"conversion:{goal}")] += 1
    bump_stats(stats)
    return len(inserted)


def migrate(journey, version, mapping):
    """Move open enrolments of older versions onto `version` (SPEC "Versions")."""
    now = clock.now()
    graph = Graphs()[version.pk][0]
    rows = list(Enrollment.objects.select_for_update().filter(journey=journey, status__in=Enrollment.OPEN)
                .exclude(version=version).order_by("id")
                .values_list("id", "journey_id", "version_id", "member_id", "node_key", "visit", "node_entered_at",
                             "status", "due_at", "waiting_for"))
    logs, updates, stats, ended = [], [], Counter(), {}
    for enrollment_id, journey_id, old_version, member_id, key, visit, arrived_at, status, due_at, waiting_for in rows:
        target = key if key in graph.nodes else mapping.get(key)
        if target is None:
            ended[enrollment_id] = (now, f"node {key} removed in version {version.number}")
            continue
        stats[(journey_id, old_version, key, "active")] -= 1
        stats[(journey_id, version.pk, target, "active")] += 1
        stats[(journey_id, version.pk, target, "entered")] += 1
        if target == key:
            updates.append((enrollment_id, status, key, visit, due_at, waiting_for, None, arrived_at, None, ""))
        else:
            logs.append((enrollment_id, journey_id, old_version, member_id, key, visit, arrived_at, now, "",
                         f"migrated to version {version.number} at {target}"))
            updates.append((enrollment_id, ACTIVE, target, visit + 1, now, "", None, now, None, ""))
    end_enrollments(ended)
    if updates:
        Enrollment.objects.filter(id__in=[u[0] for u in updates]).update(version=version)
    bulk_update_enrollments(updates)
    insert_rows(StepLog, ["enrollment", "journey", "version", "member", "node_key", "visit", "arrived_at", "left_at",
                          "branch", "note"], logs)
    bump_stats(stats)
    return len(rows)
