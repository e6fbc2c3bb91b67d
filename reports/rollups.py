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

# Three aggregates in one statement (one snapshot), each touching only the rows it needs:
# members per variant, conversions per variant and goal, and per-enrolment order revenue
# (summed per enrolment first, so that Σx² is over members, not over orders).
_ROLLUP_SQL = """
SELECT 'members', a.key, a.value, NULL, COUNT(*), NULL::float8, NULL::float8
FROM journeys_enrollment e CROSS JOIN LATERAL jsonb_each_text(e.assignments) a
WHERE e.journey_id = %(journey)s
GROUP BY a.key, a.value
UNION ALL
SELECT 'goal', a.key, a.value, c.goal_key, COUNT(*), NULL, NULL
FROM journeys_goalconversion c
JOIN journeys_enrollment e ON e.id = c.enrollment_id
CROSS JOIN LATERAL jsonb_each_text(e.assignments) a
WHERE c.journey_id = %(journey)s
GROUP BY a.key, a.value, c.goal_key
UNION ALL
SELECT 'revenue', a.key, a.value, NULL, COUNT(*), SUM(r.amount), SUM(r.amount * r.amount)
FROM (
    SELECT e.assignments, SUM(ev.value)::float8 AS amount
    FROM journeys_enrollment e
    JOIN members_event ev ON ev.member_id = e.member_id AND ev.name = 'order_paid' AND ev.value IS NOT NULL
        AND ev.occurred_at >= e.enrolled_at AND ev.occurred_at < e.enrolled_at + %(window)s
    WHERE e.journey_id = %(journey)s
    GROUP BY e.id
) r CROSS JOIN LATERAL jsonb_each_text(r.assignments) a
GROUP BY a.key, a.value
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
        with connection.cursor() as cursor:
            # jsonb_each_text makes the planner guess 100 rows per enrolment, so the cost estimate
            # crosses the JIT thresholds and compiling would take longer than running the query.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(_ROLLUP_SQL, {"journey": journey.pk, "window": timedelta(days=window)})
            rows = cursor.fetchall()
        VariantRollup.objects.filter(journey=journey).delete()
        VariantRollup.objects.bulk_create(_rollup_rows(journey, rows))
        state, _ = RollupState.objects.update_or_create(
            journey=journey, defaults={"refreshed_at": clock.now(), "revenue_window_days": window}
        )
    return state


def _rollup_rows(journey, rows):
    by_variant = {}
    for kind, node_key, variant, goal, n, total, squares in rows:
        row = by_variant.setdefault((node_key, variant), VariantRollup(
            journey=journey, node_key=node_key, variant=variant, members=0, conversions={}))
        if kind == "members":
            row.members = n
        elif kind == "goal":
            row.conversions[goal] = n
        else:
            row.revenue_sum, row.revenue_sum_squares = total, squares
    return list(by_variant.values())


def _age(state):
    return (clock.now() - state.refreshed_at).total_seconds()


def rollup(journey, max_age=None):
    """The journey's variant rows and their state, refreshed first when missing or stale."""
    max_age = getattr(settings, "REPORTS_ROLLUP_MAX_AGE", 60) if max_age is None else max_age
    state = RollupState.objects.filter(journey=journey).first()
    if state is None or _age(state) > max_age:
        state = refresh(journey, max_age=max_age)
    return list(VariantRollup.objects.filter(journey=journey)), state
