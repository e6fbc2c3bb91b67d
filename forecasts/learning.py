"""The behaviour model's rates learned from recorded events (demo.behaviour.learned does the fitting).

Read-only aggregates over the last `LOOKBACK` of events: first orders by days since registration,
repeat orders by days since the previous order, and orders within `nudge_hours` after a sent or
delivered message, by template.
"""

from collections import Counter
from dataclasses import asdict
from datetime import timedelta

from django.db import connection

from demo.behaviour import BehaviourModel, learned

LOOKBACK = timedelta(days=90)
WIDTH_DAYS = 7
BUCKETS = 8  # 8 weeks of days-since: beyond that the fitted curve extrapolates


def learn(*, now, base=None):
    """(BehaviourModel, description) where description has `sources` and the sample sizes used."""
    base = base or BehaviourModel()
    since = now - LOOKBACK
    first, repeat = [[0.0, 0] for _ in range(BUCKETS)], [[0.0, 0] for _ in range(BUCKETS)]
    members, orders = 0, 0
    with connection.cursor() as cursor:
        # Per member registered in the window: days observed until the first order (or now) and whether it came.
        cursor.execute(
            """SELECT EXTRACT(EPOCH FROM (COALESCE(f.first_at, %s) - m.registered_at)) / 86400, f.first_at IS NOT NULL
               FROM members_member m LEFT JOIN LATERAL (
                   SELECT MIN(e.occurred_at) AS first_at FROM members_event e
                   WHERE e.member_id = m.id AND e.name = 'order_paid' AND e.occurred_at <= %s) f ON TRUE
               WHERE m.registered_at > %s AND m.registered_at <= %s""",
            [now, now, since, now],
        )
        for days, ordered in cursor.fetchall():
            members += 1
            _expose(first, max(0.0, float(days)), ordered)
        # Gaps between consecutive orders in the window, and the open gap from the last order to now.
        cursor.execute(
            """SELECT EXTRACT(EPOCH FROM (COALESCE(nxt, %s) - occurred_at)) / 86400, nxt IS NOT NULL FROM (
                   SELECT occurred_at, LEAD(occurred_at) OVER (PARTITION BY member_id ORDER BY occurred_at) AS nxt
                   FROM members_event WHERE name = 'order_paid' AND occurred_at > %s AND occurred_at <= %s) g""",
            [now, since, now],
        )
        for days, again in cursor.fetchall():
            orders += 1
            _expose(repeat, max(0.0, float(days)), again)
        cursor.execute(
            """SELECT t.slug, COUNT(*), COUNT(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM members_event e WHERE e.member_id = d.member_id AND e.name = 'order_paid'
                   AND e.occurred_at > d.sent_at AND e.occurred_at <= d.sent_at + %s))
               FROM touchpoints_delivery d JOIN touchpoints_template t ON t.id = d.template_id
               WHERE d.status IN ('sent', 'delivered') AND d.sent_at > %s AND d.sent_at <= %s
               GROUP BY t.slug""",
            [timedelta(hours=base.nudge_hours), since, now - timedelta(hours=base.nudge_hours)],
        )
        nudges = {slug: (sends, ordered) for slug, sends, ordered in cursor.fetchall()}
    exposure = sum(e for e, _ in first) + sum(e for e, _ in repeat)
    events = sum(n for _, n in first) + sum(n for _, n in repeat)
    model, sources = learned(first_orders=[tuple(b) for b in first], repeat_orders=[tuple(b) for b in repeat],
                             width_days=WIDTH_DAYS, nudges=nudges, baseline_daily=events / exposure if exposure else 0.0,
                             base=base)
    return model, {"sources": sources, "members": members, "orders": orders,
                   "sends": dict(Counter({slug: n for slug, (n, _) in nudges.items()}))}


def _expose(buckets, days, happened):
    """Add one member's exposure of `days` (and the event at its end, if it happened) to the weekly buckets."""
    for index in range(BUCKETS):
        low = index * WIDTH_DAYS
        if days <= low:
            return
        buckets[index][0] += min(days, low + WIDTH_DAYS) - low
        if happened and days <= low + WIDTH_DAYS:
            buckets[index][1] += 1
            return


def describe(model, info):
    """The JSON stored with a forecast: the model's parameters and where each came from."""
    return {"parameters": asdict(model), **info}
