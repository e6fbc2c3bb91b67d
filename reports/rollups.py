"""The per-variant rollup behind A/B results: one set-based SQL statement per journey.

Split membership lives in Enrollment.assignments ({split_node_key: variant}); grouping 1M JSON
values on every page view would cost far more than the /stats budget, so the numbers are rolled
up here, refreshed by a beat task (reports.tasks) and on read when older than
REPORTS_ROLLUP_MAX_AGE seconds (default 60).
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from journeys import clock

from .documents import journey_document, revenue_window_days
from .models import RollupState, VariantRollup

_ROLLUP_SQL = """
WITH assigned AS (
    SELECT e.id, e.member_id, e.enrolled_at, a.key AS node_key, a.value AS variant
    FROM journeys_enrollment e CROSS JOIN LATERAL jsonb_each_text(e.assignments) a
    WHERE e.journey_id = %(journey)s AND e.assignments <> '{}'::jsonb
),
revenue AS (
    SELECT e.id, SUM(ev.value)::float8 AS amount
    FROM journeys_enrollment e
    JOIN members_event ev ON ev.member_id = e.member_id AND ev.name = 'order_paid'
        AND ev.occurred_at >= e.enrolled_at AND ev.occurred_at < e.enrolled_at + %(window)s
    WHERE e.journey_id = %(journey)s AND e.assignments <> '{}'::jsonb AND ev.value IS NOT NULL
    GROUP BY e.id
),
goals AS (
    SELECT node_key, variant, jsonb_object_agg(goal_key, n) AS conversions
    FROM (
        SELECT a.node_key, a.variant, c.goal_key, COUNT(*) AS n
        FROM assigned a JOIN journeys_goalconversion c ON c.enrollment_id = a.id
        WHERE c.journey_id = %(journey)s
        GROUP BY 1, 2, 3
    ) per_goal
    GROUP BY 1, 2
)
INSERT INTO reports_variantrollup (journey_id, node_key, variant, members, conversions, revenue_sum, revenue_sum_squares)
SELECT %(journey)s, a.node_key, a.variant, COUNT(*),
       COALESCE(g.conversions, '{}'::jsonb),
       COALESCE(SUM(r.amount), 0), COALESCE(SUM(r.amount * r.amount), 0)
FROM assigned a
LEFT JOIN revenue r ON r.id = a.id
LEFT JOIN goals g ON g.node_key = a.node_key AND g.variant = a.variant
GROUP BY a.node_key, a.variant, g.conversions
"""


# pg_advisory_xact_lock(class, journey id): one refresher per journey without locking the
# Journey row, which publishing, pausing and promoting update.
_LOCK_CLASS = 7007


def refresh(journey, max_age=None):
    """Rebuild the journey's rollup in one transaction; concurrent readers see the old or the new.

    With `max_age`, a rollup that became fresh while waiting for another refresher is kept.
    """
    window = revenue_window_days(journey_document(journey))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, journey.pk])
        state = RollupState.objects.filter(journey=journey).first()
        if max_age is not None and state is not None and _age(state) <= max_age:
            return state
        VariantRollup.objects.filter(journey=journey).delete()
        with connection.cursor() as cursor:
            # jsonb_each_text makes the planner guess 100 rows per enrolment, so the cost estimate
            # crosses the JIT thresholds and compiling would take longer than running the query.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(_ROLLUP_SQL, {"journey": journey.pk, "window": timedelta(days=window)})
        state, _ = RollupState.objects.update_or_create(
            journey=journey, defaults={"refreshed_at": clock.now(), "revenue_window_days": window}
        )
    return state


def _age(state):
    return (clock.now() - state.refreshed_at).total_seconds()


def rollup(journey, max_age=None):
    """The journey's variant rows and their state, refreshed first when missing or stale."""
    max_age = getattr(settings, "REPORTS_ROLLUP_MAX_AGE", 60) if max_age is None else max_age
    state = RollupState.objects.filter(journey=journey).first()
    if state is None or _age(state) > max_age:
        state = refresh(journey, max_age=max_age)
    return list(VariantRollup.objects.filter(journey=journey)), state
