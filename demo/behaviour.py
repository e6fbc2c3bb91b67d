"""How synthetic members behave: when they order, how nudges move them, when they leave.

Pure Python, no ORM: the simulator asks it for probabilities and draws with its own seeded
random generator, so a run is reproducible. Rates are per day and converted to the simulator's
step, so the step size changes the resolution, not the behaviour.
"""

import math
from dataclasses import dataclass, field

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
        daily = min(0.9, daily * affinity * lift)
        return per_step(daily, step_days)

    def unsubscribe_chance(self, *, step_days, messaged):
        daily = self.unsubscribe_daily + (self.unsubscribe_after_message if messaged else 0.0)
        return per_step(daily, step_days)

    def order_value(self, rng):
        return round(math.exp(rng.gauss(self.order_value_mu, self.order_value_sigma)), 2)


def per_step(daily, step_days):
    """Turn a daily probability into the probability for a step of `step_days` days."""
    return 1.0 - (1.0 - daily) ** step_days
