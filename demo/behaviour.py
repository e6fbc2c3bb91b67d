"""How synthetic members behave: when they order, how nudges move them, when they leave.

Pure Python, no ORM: the simulator asks it for probabilities and draws with its own seeded
random generator, so a run is reproducible. Rates are per day and converted to the simulator's
step, so the step size changes the resolution, not the behaviour.
"""

import math
from dataclasses import dataclass, field, replace

SOURCES = {"store_qr": 1.35, "miniprogram": 1.1, "wechat_group": 1.0, "official_account": 0.8}


@dataclass(frozen=True)
class BehaviourModel:
    # A new member's daily chance of a first order on registration day; interest fades with time.
    first_order_daily: float = 0.045
    first_order_decay_days: float = 9.0
    # After the first order, the daily chance of another one, fading from that order.
    repeat_order_daily: float = 0.03
    repeat_order_decay_days: float = 18.0
    # Members who will never order whatever we send (they still receive messages).
    never_buyer_share: float = 0.2
    # A delivered nudge multiplies the chance for `nudge_hours` after it was sent, by template.
    nudge_lift: dict = field(default_factory=lambda: {
        "welcome-coupon": 2.6, "coupon-expiring": 1.8, "last-chance": 2.2, "second-order-coupon": 2.0,
        "recall-coupon": 2.4,
    })
    nudge_hours: int = 48
    # A small share of members unsubscribe, more so right after a message.
    unsubscribe_daily: float = 0.001
    unsubscribe_after_message: float = 0.006
    # Order value in yuan: log-normal around ~90.
    order_value_mu: float = 4.45
    order_value_sigma: float = 0.45
    # The highest daily order chance: keeps the demo's boosted members from ordering every day.
    max_daily: float = 0.9

    def affinity(self, source):
        return SOURCES.get(source, 1.0)

    def order_chance(self, *, step_days, affinity, days_since_registration, orders, days_since_last_order, nudges):
        """Probability that a member orders during one step of `step_days` days."""
        if orders == 0:
            daily = self.first_order_daily * math.exp(-days_since_registration / self.first_order_decay_days)
        else:
            daily = self.repeat_order_daily * math.exp(-days_since_last_order / self.repeat_order_decay_days)
        lift = 1.0
        for template in nudges:
            lift = max(lift, self.nudge_lift.get(template, 1.3))
        daily = min(self.max_daily, daily * affinity * lift)
        return per_step(daily, step_days)

    def unsubscribe_chance(self, *, step_days, messaged):
        daily = self.unsubscribe_daily + (self.unsubscribe_after_message if messaged else 0.0)
        return per_step(daily, step_days)

    def order_value(self, rng):
        return round(math.exp(rng.gauss(self.order_value_mu, self.order_value_sigma)), 2)


# Below these, recorded data says too little and the default stays (per rate, per template).
MIN_ORDERS_TO_LEARN = 30
MIN_SENDS_TO_LEARN = 30


def fit_decay(buckets, *, width_days):
    """(daily rate at day 0, decay days) of an exponentially fading hazard, or None if unknown.

    `buckets` is [(exposure in member-days, orders)] for consecutive `width_days`-wide spans of days
    since the anchor (registration or last order): a weighted least-squares line through
    log(orders / exposure), weighted by orders so thin spans count little.
    """
    points = [((i + 0.5) * width_days, math.log(orders / exposure), orders)
              for i, (exposure, orders) in enumerate(buckets) if orders > 0 and exposure > 0]
    if sum(w for _, _, w in points) < MIN_ORDERS_TO_LEARN or len(points) < 2:
        return None
    total = sum(w for _, _, w in points)
    mean_x = sum(x * w for x, _, w in points) / total
    mean_y = sum(y * w for _, y, w in points) / total
    spread = sum(w * (x - mean_x) ** 2 for x, _, w in points)
    slope = sum(w * (x - mean_x) * (y - mean_y) for x, y, w in points) / spread
    if slope >= 0:
        return None  # a rate that does not fade is not this model's shape: keep the default
    return min(1.0, math.exp(mean_y - slope * mean_x)), -1.0 / slope


def learned(*, first_orders, repeat_orders, width_days, nudges, baseline_daily, base=None):
    """A BehaviourModel whose rates come from recorded data where there is enough of it.

    `first_orders`/`repeat_orders`: buckets for `fit_decay`; `nudges`: {template: (sends, orders
    within nudge_hours after)}; `baseline_daily`: the population's orders per member-day. Returns
    (model, sources) where sources says, per rate and per template, "learned" or "default".
    """
    model = base or BehaviourModel()
    sources = {"first_order": "default", "repeat_order": "default", "nudge_lift": {}}
    first = fit_decay(first_orders, width_days=width_days)
    if first:
        model = replace(model, first_order_daily=first[0], first_order_decay_days=first[1])
        sources["first_order"] = "learned"
    repeat = fit_decay(repeat_orders, width_days=width_days)
    if repeat:
        model = replace(model, repeat_order_daily=repeat[0], repeat_order_decay_days=repeat[1])
        sources["repeat_order"] = "learned"
    lifts = dict(model.nudge_lift)
    for template, (sends, orders) in sorted(nudges.items()):
        if sends >= MIN_SENDS_TO_LEARN and baseline_daily > 0:
            rate = orders / (sends * model.nudge_hours / 24)
            lifts[template] = round(min(5.0, max(1.0, rate / baseline_daily)), 3)
            sources["nudge_lift"][template] = "learned"
        else:
            sources["nudge_lift"][template] = "default"
    return replace(model, nudge_lift=lifts), sources


def per_step(daily, step_days):
    """Turn a daily probability into the probability for a step of `step_days` days."""
    return 1.0 - (1.0 - daily) ** step_days
