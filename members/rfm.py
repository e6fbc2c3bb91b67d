"""RFM groups and lifecycle stages, recomputed for every member in a few set-based statements.

RFM (from `order_paid` events, `value` = amount, up to `now`):

- R, F, M are quintile scores 1–5 over the members who have ordered: R ranks the last order
  time (most recent = 5), F the number of orders, M the total amount. A score is
  `1 + floor(5 × percent_rank)`, capped at 5, so equal values always get the same score.
- The 8 groups, first match wins (FM = (F + M) / 2):

  | group        | rule                   | meaning                                   |
  |--------------|------------------------|-------------------------------------------|
  | champions    | R ≥ 4 and FM ≥ 4       | bought recently, often, and a lot         |
  | new          | R ≥ 4 and F = 1        | first order recently                      |
  | loyal        | R ≥ 3 and FM ≥ 3       | regular, still active                     |
  | potential    | R ≥ 3 and FM ≥ 2       | recent, average frequency and spend       |
  | promising    | R ≥ 3                  | recent, small so far                      |
  | cannot_lose  | R ≤ 2 and FM ≥ 4       | were among the best, gone quiet           |
  | at_risk      | R ≤ 2 and FM ≥ 3       | were good customers, gone quiet           |
  | hibernating  | otherwise              | long ago, rarely, little                  |

  Members who never ordered have no RFM group.

Lifecycle stage (thresholds in `settings.MEMBERS_LIFECYCLE`, defaults in LIFECYCLE_DEFAULTS);
"last activity" is the last order, or the registration for members who never ordered:

  1. churn         last activity more than `churn_days` (180) ago
  2. dormancy      last activity more than `dormancy_days` (60) ago
  3. maturity      at least `maturity_orders` (6) orders in the last `maturity_window_days` (180)
  4. growth        at least `growth_orders` (2) orders
  5. introduction  otherwise: a new member with at most one order

The SQL below contains no user text: only these settings and `now`, as parameters.
"""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from .models import Event, Member

ORDER_EVENT = "order_paid"
LIFECYCLE_DEFAULTS = {"dormancy_days": 60, "churn_days": 180, "growth_orders": 2, "maturity_orders": 6, "maturity_window_days": 180}


def lifecycle_thresholds():
    configured = getattr(settings, "MEMBERS_LIFECYCLE", {}) or {}
    return {**LIFECYCLE_DEFAULTS, **{k: int(v) for k, v in configured.items() if k in LIFECYCLE_DEFAULTS}}


def order_event():
    return getattr(settings, "MEMBERS_ORDER_EVENT", ORDER_EVENT)


def _score(column):
    """Quintile 1–5 from a percent rank (explicit bounds: CAST would round on PostgreSQL, truncate on SQLite)."""
    return f"CASE WHEN {column} < 0.2 THEN 1 WHEN {column} < 0.4 THEN 2 WHEN {column} < 0.6 THEN 3 " \
           f"WHEN {column} < 0.8 THEN 4 ELSE 5 END"


GROUP_CASE = """CASE
  WHEN r >= 4 AND (f + m) >= 8 THEN 'champions'
  WHEN r >= 4 AND f = 1 THEN 'new'
  WHEN r >= 3 AND (f + m) >= 6 THEN 'loyal'
  WHEN r >= 3 AND (f + m) >= 4 THEN 'potential'
  WHEN r >= 3 THEN 'promising'
  WHEN (f + m) >= 8 THEN 'cannot_lose'
  WHEN (f + m) >= 6 THEN 'at_risk'
  ELSE 'hibernating' END"""


def recompute_rfm(*, now):
    """Store rfm_scores/rfm_group for every member; returns the number of members who have a group."""
    event, member = Event._meta.db_table, Member._meta.db_table
    scored = f"""
        WITH agg AS (
            SELECT member_id, MAX(occurred_at) AS last_at, COUNT(*) AS orders, COALESCE(SUM(value), 0) AS amount
            FROM {event} WHERE name = %s AND occurred_at <= %s GROUP BY member_id),
        ranks AS (
            SELECT member_id, PERCENT_RANK() OVER (ORDER BY last_at) AS pr_r, PERCENT_RANK() OVER (ORDER BY orders) AS pr_f,
                   PERCENT_RANK() OVER (ORDER BY amount) AS pr_m FROM agg),
        scores AS (
            SELECT member_id, {_score('pr_r')} AS r, {_score('pr_f')} AS f, {_score('pr_m')} AS m FROM ranks)
        SELECT member_id, CAST(r AS TEXT) || CAST(f AS TEXT) || CAST(m AS TEXT) AS rfm_scores, {GROUP_CASE} AS rfm_group
        FROM scores"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {member} SET rfm_scores = s.rfm_scores, rfm_group = s.rfm_group
                FROM ({scored}) AS s
                WHERE {member}.id = s.member_id
                  AND ({member}.rfm_scores <> s.rfm_scores OR {member}.rfm_group <> s.rfm_group)""",
            [order_event(), now],
        )
        cursor.execute(
            f"""UPDATE {member} SET rfm_scores = '', rfm_group = ''
                WHERE rfm_group <> '' AND NOT EXISTS (
                    SELECT 1 FROM {event} e WHERE e.member_id = {member}.id AND e.name = %s AND e.occurred_at <= %s)""",
            [order_event(), now],
        )
    return Member.objects.exclude(rfm_group="").count()


def recompute_lifecycle(*, now):
    """Store lifecycle_stage for every member; returns {stage: count}."""
    t = lifecycle_thresholds()
    event, member = Event._meta.db_table, Member._meta.db_table
    churn_before = now - dt.timedelta(days=t["churn_days"])
    dormant_before = now - dt.timedelta(days=t["dormancy_days"])
    window_start = now - dt.timedelta(days=t["maturity_window_days"])
    staged = f"""
        SELECT mm.id, CASE
            WHEN COALESCE(a.last_at, mm.registered_at, mm.created_at) < %s THEN 'churn'
            WHEN COALESCE(a.last_at, mm.registered_at, mm.created_at) < %s THEN 'dormancy'
            WHEN COALESCE(a.recent_orders, 0) >= %s THEN 'maturity'
            WHEN COALESCE(a.orders, 0) >= %s THEN 'growth'
            ELSE 'introduction' END AS stage
        FROM {member} mm LEFT JOIN (
            SELECT member_id, MAX(occurred_at) AS last_at, COUNT(*) AS orders,
                   SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END) AS recent_orders
            FROM {event} WHERE name = %s AND occurred_at <= %s GROUP BY member_id) a ON a.member_id = mm.id"""
    params = [churn_before, dormant_before, t["maturity_orders"], t["growth_orders"], window_start, order_event(), now]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {member} SET lifecycle_stage = s.stage FROM ({staged}) AS s
                WHERE {member}.id = s.id AND {member}.lifecycle_stage <> s.stage""",
            params,
        )
    return dict(Member.objects.order_by().values("lifecycle_stage").annotate(n=Count("pk")).values_list("lifecycle_stage", "n"))


def recompute(*, now):
    """RFM and lifecycle for everyone (the nightly job, the command and the button)."""
    return {"rfm_members": recompute_rfm(now=now), "stages": recompute_lifecycle(now=now)}
