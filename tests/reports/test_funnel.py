from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from journeys import clock
from reports import funnel

from .conftest import T0

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_funnel_goes_from_entered_through_each_goal_in_order_with_median_time_to_convert(onboarding):
    rows = onboarding.enrol(10, assignments={"ab": "day2"})
    onboarding.convert(rows[:4], "first_order", after=timedelta(days=1))
    onboarding.convert(rows[4:5], "first_order", after=timedelta(days=3))
    onboarding.convert(rows[:2], "second_order", after=timedelta(days=10))
    # A second order recorded without a first one does not pass the first step, so it is not counted.
    onboarding.convert(rows[9:10], "second_order", after=timedelta(days=5))
    result = funnel.journey_funnel(onboarding.journey, tz=SHANGHAI)
    assert result.goals == ["first_order", "second_order"]
    assert result.overall.entered == 10
    first, second = result.overall.steps
    assert (first.members, first.rate, first.median_seconds) == (5, 0.5, timedelta(days=1).total_seconds())
    assert (second.members, second.rate, second.step_rate) == (2, 0.2, 0.4)
    assert second.median_seconds == timedelta(days=10).total_seconds()


def test_the_funnel_breaks_down_per_variant_of_every_split_in_document_order(onboarding):
    for variant, n, k in [("control", 4, 1), ("day3", 6, 3), ("day2", 8, 2)]:
        rows = onboarding.enrol(n, assignments={"ab": variant})
        onboarding.convert(rows[:k], "first_order")
    onboarding.enrol(3)  # not at the split yet
    result = funnel.journey_funnel(onboarding.journey, tz=SHANGHAI)
    per_variant = result.variants["ab"]
    assert list(per_variant) == ["day2", "day3", "control"]
    assert [(r.entered, r.steps[0].members) for r in per_variant.values()] == [(8, 2), (6, 3), (4, 1)]
    assert result.overall.entered == 21


def test_day_cohorts_follow_the_operators_time_zone(onboarding):
    # 23:30 and 00:30 in Shanghai are the same UTC day (15:30, 16:30 UTC) but different local days.
    onboarding.enrol(2, at=datetime(2026, 11, 2, 23, 30, tzinfo=SHANGHAI))
    onboarding.enrol(3, at=datetime(2026, 11, 3, 0, 30, tzinfo=SHANGHAI))
    local = funnel.journey_funnel(onboarding.journey, unit="day", tz=SHANGHAI)
    assert [(r.label, r.entered) for r in local.cohorts] == [("2026-11-02", 2), ("2026-11-03", 3)]
    utc = funnel.journey_funnel(onboarding.journey, unit="day", tz=ZoneInfo("UTC"))
    assert [(r.label, r.entered) for r in utc.cohorts] == [("2026-11-02", 5)]


def test_week_cohorts_start_on_monday(onboarding):
    onboarding.enrol(1, at=datetime(2026, 11, 8, 12, 0, tzinfo=SHANGHAI))  # Sunday
    onboarding.enrol(2, at=datetime(2026, 11, 9, 12, 0, tzinfo=SHANGHAI))  # Monday
    result = funnel.journey_funnel(onboarding.journey, unit="week", tz=SHANGHAI)
    assert [(r.label, r.entered) for r in result.cohorts] == [("2026-11-02", 1), ("2026-11-09", 2)]


def test_the_onboarding_cohort_view_shows_conversion_by_day_2_3_7_30_only_once_every_member_is_old_enough(onboarding):
    rows = onboarding.enrol(10, at=T0)
    for n, after in [(1, timedelta(hours=20)), (1, timedelta(days=2)), (2, timedelta(days=2, hours=12)),
                     (1, timedelta(days=6)), (1, timedelta(days=20))]:
        onboarding.convert(rows[:n], "first_order", after=after)
        rows = rows[n:]
    [cohort] = funnel.journey_funnel(onboarding.journey, tz=SHANGHAI).cohorts
    at_day_8 = T0 + timedelta(days=8)
    assert funnel.cohort_cell(cohort, 2, now=at_day_8) == pytest.approx(0.2)
    assert funnel.cohort_cell(cohort, 3, now=at_day_8) == pytest.approx(0.4)
    assert funnel.cohort_cell(cohort, 7, now=at_day_8) == pytest.approx(0.5)
    assert funnel.cohort_cell(cohort, 30, now=at_day_8) is None
    with clock.frozen(T0 + timedelta(days=30)):
        assert funnel.cohort_cell(cohort, 30) == pytest.approx(0.6)


def test_an_unknown_cohort_unit_is_refused(onboarding):
    with pytest.raises(ValueError):
        funnel.journey_funnel(onboarding.journey, unit="month")


def test_a_journey_without_enrolments_has_an_empty_funnel(onboarding):
    result = funnel.journey_funnel(onboarding.journey, tz=SHANGHAI)
    assert result.overall.entered == 0
    assert [s.members for s in result.overall.steps] == [0, 0]
    assert result.cohorts == [] and result.variants == {"ab": {}}


def test_daily_activity_counts_entries_and_conversions_per_local_day(onboarding):
    rows = onboarding.enrol(3, at=T0)
    onboarding.enrol(2, at=T0 + timedelta(days=1))
    onboarding.convert(rows[:2], "first_order", after=timedelta(days=1))
    activity = funnel.daily_activity(onboarding.journey, tz=SHANGHAI)
    assert [d.isoformat() for d in activity["days"]] == ["2026-11-02", "2026-11-03"]
    assert activity["series"] == {"entered": [3, 2], "first_order": [0, 2], "second_order": [0, 0]}
