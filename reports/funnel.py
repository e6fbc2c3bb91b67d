"""Funnel and cohorts: entered → each goal in order, overall, per variant and per enrolment cohort.

One PostgreSQL statement with GROUPING SETS scans the journey's enrolments once and yields every
breakdown, the median time to convert at each step and the onboarding cohort table
(conversion on the first goal by day 2, 3, 7 and 30 after enrolment).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from journeys import clock

from . import documents
from .nodes import node_rows

COHORT_UNITS = ("day", "week")
COHORT_DAYS = (2, 3, 7, 30)


@dataclass
class FunnelStep:
    goal: str
    members: int
    rate: float | None
    step_rate: float | None
    median_seconds: float | None


@dataclass
class FunnelRow:
    entered: int
    steps: list
    label: str = ""
    cohort: object = None
    by_day: dict = field(default_factory=dict)
    last_enrolled_at: object = None


@dataclass
class Funnel:
    goals: list
    unit: str
    timezone: str
    overall: FunnelRow
    variants: dict
    cohorts: list


def _sql(goal_count, split_count):
    goal_cols = ", ".join(
        f"MAX(converted_at) FILTER (WHERE goal_key = %(g{i})s) AS c{i}" for i in range(goal_count)
    )
    variant_cols = "".join(f", e.assignments ->> %(s{j})s AS v{j}" for j in range(split_count))
    step_cols = []
    for i in range(goal_count):
        reached = " AND ".join(f"c{k} IS NOT NULL" for k in range(i + 1))
        step_cols.append(f"COUNT(*) FILTER (WHERE {reached})")
        step_cols.append(
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM c{i} - enrolled_at)) FILTER (WHERE {reached})"
        )
    # The cohort table reads the first goal only: "converted by day N" = within N × 24 h of enrolment.
    day_cols = [f"COUNT(*) FILTER (WHERE c0 <= enrolled_at + %(d{n})s)" for n in COHORT_DAYS] if goal_count else []
    grouping = ", ".join(["GROUPING(cohort)"] + [f"GROUPING(v{j})" for j in range(split_count)])
    sets = ", ".join(["()", "(cohort)"] + [f"(v{j})" for j in range(split_count)])
    selected = ", ".join([grouping, "cohort"] + [f"v{j}" for j in range(split_count)]
                         + ["COUNT(*)", "MAX(enrolled_at)"] + step_cols + day_cols)
    inner_cols = "e.enrolled_at, date_trunc(%(unit)s, e.enrolled_at AT TIME ZONE %(tz)s)::date AS cohort" + variant_cols
    # Conversions are pivoted to one row per converted enrolment first (a fraction of all
    # enrolments), so the enrolments themselves are scanned once and never grouped by id.
    if goal_count:
        inner_cols += ", " + ", ".join(f"conv.c{i}" for i in range(goal_count))
        conversions = f"""LEFT JOIN (
                SELECT enrollment_id, {goal_cols} FROM journeys_goalconversion
                WHERE journey_id = %(journey)s GROUP BY enrollment_id
            ) conv ON conv.enrollment_id = e.id"""
    else:
        conversions = ""
    return f"""
        SELECT {selected}
        FROM (
            SELECT {inner_cols}
            FROM journeys_enrollment e
            {conversions}
            WHERE e.journey_id = %(journey)s
        ) per_enrollment
        GROUP BY GROUPING SETS ({sets})
    """


def _row(values, goals, label="", cohort=None):
    grouped, cohort_value, entered, last, rest = values[0], values[1], values[2], values[3], values[4:]
    steps, previous = [], entered
    for i, goal in enumerate(goals):
        members, median = rest[2 * i], rest[2 * i + 1]
        steps.append(FunnelStep(goal, members, members / entered if entered else None,
                                members / previous if previous else None, median))
        previous = members
    by_day = dict(zip(COHORT_DAYS, rest[2 * len(goals):])) if goals else {}
    return FunnelRow(entered=entered, steps=steps, label=label, cohort=cohort, by_day=by_day, last_enrolled_at=last)


def journey_funnel(journey, unit="day", tz=None):
    """The funnel for `journey`; cohorts are enrolment days or ISO weeks in `tz` (default: active)."""
    if unit not in COHORT_UNITS:
        raise ValueError(f"cohort must be one of {', '.join(COHORT_UNITS)}")
    tz_name = str(tz or timezone.get_current_timezone())
    document = documents.journey_document(journey)
    goals = documents.goal_keys(document)
    splits = [n["key"] for n in documents.split_nodes(document)]
    params = {"journey": journey.pk, "unit": unit, "tz": tz_name}
    params.update({f"g{i}": g for i, g in enumerate(goals)})
    params.update({f"s{j}": s for j, s in enumerate(splits)})
    params.update({f"d{n}": timedelta(days=n) for n in COHORT_DAYS})
    with transaction.atomic(), connection.cursor() as cursor:
        # One scan with cheap per-row work: JIT compilation would cost more than it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_sql(len(goals), len(splits)), params)
        rows = cursor.fetchall()

    overall = FunnelRow(entered=0, steps=[FunnelStep(g, 0, None, None, None) for g in goals])
    variants = {s: {} for s in splits}
    cohorts = []
    width = 1 + len(splits)
    for row in rows:
        flags, cohort, variant_values, data = row[:width], row[width], row[width + 1:width + 1 + len(splits)], row[width + 1 + len(splits):]
        values = (None, cohort, *data)
        if all(flags):
            overall = _row(values, goals)
        elif not flags[0]:
            cohorts.append(_row(values, goals, label=cohort.isoformat(), cohort=cohort))
        else:
            j = flags.index(0) - 1
            if variant_values[j] is not None:
                variants[splits[j]][variant_values[j]] = _row(values, goals, label=variant_values[j])
    cohorts.sort(key=lambda r: r.cohort)
    for split in splits:
        order = _variant_order(document, split)
        variants[split] = dict(sorted(variants[split].items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    return Funnel(goals=goals, unit=unit, timezone=tz_name, overall=overall, variants=variants, cohorts=cohorts)


def _variant_order(document, split_key):
    node = next(n for n in documents.split_nodes(document) if n["key"] == split_key)
    return {k: i for i, k in enumerate(documents.variant_keys(node))}


def cohort_cell(row, days, now=None):
    """Share of the cohort converted by day `days`, or None while some member is too young to tell."""
    now = now or clock.now()
    if not row.entered or row.last_enrolled_at is None or row.last_enrolled_at + timedelta(days=days) > now:
        return None
    return row.by_day.get(days, 0) / row.entered


def daily_activity(journey, tz=None):
    """Entries and conversions per goal per local day, for the activity chart."""
    tz_name = str(tz or timezone.get_current_timezone())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT day, kind, SUM(n)::bigint FROM (
                SELECT (enrolled_at AT TIME ZONE %(tz)s)::date AS day, '' AS kind, COUNT(*) AS n
                FROM journeys_enrollment WHERE journey_id = %(journey)s GROUP BY 1
                UNION ALL
                SELECT (converted_at AT TIME ZONE %(tz)s)::date, goal_key, COUNT(*)
                FROM journeys_goalconversion WHERE journey_id = %(journey)s GROUP BY 1, 2
            ) t GROUP BY 1, 2 ORDER BY 1
            """,
            {"journey": journey.pk, "tz": tz_name},
        )
        rows = cursor.fetchall()
    days = sorted({r[0] for r in rows})
    goals = documents.goal_keys(documents.journey_document(journey))
    series = {"entered": {d: 0 for d in days}, **{g: {d: 0 for d in days} for g in goals}}
    for day, kind, n in rows:
        series.setdefault(kind or "entered", {d: 0 for d in days})[day] = n
    return {"days": days, "series": {k: [v[d] for d in days] for k, v in series.items()}}


def node_overlay(journey):
    """Per node numbers for the canvas in live mode: {key: {"entered", "active", "conversions": {goal: n},
    "rates": {goal: share of the node's entrants}}}. Reads the engine's counters only (cheap at any size)."""
    return {row["key"]: {"entered": row["entered"], "active": row["active"], "conversions": row["conversions"],
                         "rates": row["rates"]} for row in node_rows(journey)}
