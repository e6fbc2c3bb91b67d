import math
from datetime import timedelta

from demo.behaviour import BehaviourModel, fit_decay, learned
from forecasts.learning import learn
from members.models import Event
from tests.factories import MemberFactory
from tests.forecasts.conftest import T0


def buckets(rate, decay, *, members=2000, width=7, count=8):
    """Exposure and expected orders per week for a hazard rate·exp(-day/decay), as recorded data would show."""
    rows = []
    for week in range(count):
        middle = (week + 0.5) * width
        exposure = members * width
        rows.append((exposure, round(exposure * rate * math.exp(-middle / decay))))
    return rows


def test_fit_decay_recovers_the_rate_and_decay_of_an_exponentially_fading_hazard():
    rate, decay = fit_decay(buckets(0.05, 10.0), width_days=7)

    assert abs(rate - 0.05) < 0.002 and abs(decay - 10.0) < 0.3


def test_with_too_few_orders_every_rate_keeps_its_default_and_says_so():
    model, sources = learned(first_orders=[(100.0, 3), (80.0, 1)], repeat_orders=[], width_days=7,
                             nudges={"welcome-coupon": (5, 2)}, baseline_daily=0.01)

    assert model == BehaviourModel()
    assert sources == {"first_order": "default", "repeat_order": "default", "nudge_lift": {"welcome-coupon": "default"}}


def test_enough_data_replaces_the_defaults_and_a_templates_lift_is_its_order_rate_over_the_baseline():
    model, sources = learned(first_orders=buckets(0.05, 10.0), repeat_orders=buckets(0.02, 30.0), width_days=7,
                             nudges={"welcome-coupon": (100, 20)}, baseline_daily=0.05)

    assert sources == {"first_order": "learned", "repeat_order": "learned", "nudge_lift": {"welcome-coupon": "learned"}}
    assert abs(model.first_order_daily - 0.05) < 0.002 and abs(model.repeat_order_decay_days - 30.0) < 1.0
    assert model.nudge_lift["welcome-coupon"] == 2.0  # 20 orders in 100 × 2 days = 0.1/day, twice the baseline


def test_learn_reads_first_orders_from_recorded_events(db):
    people = MemberFactory.create_batch(60, registered_at=T0 - timedelta(days=40))
    # Half order on day 2, the others never: a first-order rate that fades (nothing after the first week).
    Event.objects.bulk_create([Event(member=m, name="order_paid", occurred_at=T0 - timedelta(days=38)) for m in people[:30]])
    Event.objects.bulk_create([Event(member=m, name="order_paid", occurred_at=T0 - timedelta(days=30)) for m in people[30:36]])

    model, info = learn(now=T0)

    assert info["members"] == 60 and info["sources"]["first_order"] == "learned"
    assert info["sources"]["repeat_order"] == "default"
    assert model.first_order_daily > BehaviourModel().first_order_daily
