from datetime import timedelta

import pytest

from reports import ab, statistics as st
from reports.models import VariantRollup


def variant_world(world, spec):
    """spec: {variant: (members, first_order conversions)} at the onboarding split `ab`."""
    for variant, (n, k) in spec.items():
        rows = world.enrol(n, assignments={"ab": variant})
        world.convert(rows[:k], "first_order")
    return world


def test_each_variant_reports_members_conversions_rate_wilson_interval_and_p_value_against_the_first(onboarding):
    variant_world(onboarding, {"day2": (400, 60), "day3": (380, 76), "control": (90, 6)})
    [split] = ab.split_results(onboarding.journey)
    assert [v.key for v in split.variants] == ["day2", "day3", "control"]
    day2, day3, control = split.variants
    assert (day2.members, day3.members, control.members) == (400, 380, 90)
    assert day3.goals["first_order"].conversions == 76
    assert day3.goals["first_order"].rate == pytest.approx(76 / 380)
    assert day3.goals["first_order"].ci == st.wilson_interval(76, 380)
    assert day2.goals["first_order"].p_value is None
    assert day3.goals["first_order"].p_value == st.two_proportion_z_test(60, 400, 76, 380).p_value
    assert control.goals["first_order"].p_value == st.two_proportion_z_test(60, 400, 6, 90).p_value
    assert day3.goals["second_order"].conversions == 0
    chi = split.chi_squared["first_order"]
    assert chi.dof == 2
    assert chi.statistic == st.chi_squared_independence([[60, 340], [76, 304], [6, 84]]).statistic


def test_uplift_against_the_first_variant_has_absolute_and_relative_intervals(onboarding):
    variant_world(onboarding, {"day2": (1000, 100), "day3": (1000, 120), "control": (200, 10)})
    [split] = ab.split_results(onboarding.journey)
    day3 = split.variant("day3").goals["first_order"]
    assert day3.uplift == st.absolute_uplift(100, 1000, 120, 1000)
    assert day3.relative_uplift.value == pytest.approx(0.2)
    assert day3.sequential == st.sequential_test(100, 1000, 120, 1000)


def test_the_onboarding_control_variant_is_a_holdout_and_treated_variants_show_incremental_lift(onboarding):
    variant_world(onboarding, {"day2": (1000, 150), "day3": (1000, 160), "control": (200, 10)})
    [split] = ab.split_results(onboarding.journey)
    assert split.holdout == "control"
    assert [v.key for v in split.variants if v.holdout] == ["control"]
    assert split.treatments == ["day2", "day3"]
    lift = split.variant("day2").goals["first_order"].lift
    assert lift.absolute.value == pytest.approx(0.15 - 0.05)
    assert lift.incremental_conversions == pytest.approx(100.0)
    assert split.variant("control").goals["first_order"].lift is None


def test_the_verdict_refuses_to_call_a_winner_before_the_minimum_sample_and_says_so(onboarding, settings):
    settings.REPORTS_MIN_MEMBERS = 100
    variant_world(onboarding, {"day2": (80, 10), "day3": (300, 90), "control": (40, 1)})
    [split] = ab.split_results(onboarding.journey)
    assert split.verdict.code == "too_early"
    assert split.verdict.winner is None
    assert "day2" in split.verdict.message and "day3" not in split.verdict.message
    assert "minimum sample of 100 members" in split.verdict.message


def test_a_small_holdout_does_not_hold_back_the_verdict_between_treatments(onboarding, settings):
    settings.REPORTS_MIN_MEMBERS = 100
    variant_world(onboarding, {"day2": (1000, 100), "day3": (1000, 200), "control": (40, 1)})
    [split] = ab.split_results(onboarding.journey)
    assert (split.verdict.code, split.verdict.winner) == ("winner", "day3")


def test_the_verdict_names_a_clearly_better_challenger_with_its_uplift_interval(onboarding):
    variant_world(onboarding, {"day2": (1000, 100), "day3": (1000, 200), "control": (200, 15)})
    [split] = ab.split_results(onboarding.journey)
    assert split.verdict.code == "winner"
    assert split.verdict.winner == "day3"
    assert "day3 wins on first_order: 20.0% vs 10.0% for day2, +10.0 points" in split.verdict.message


def test_the_verdict_calls_a_tie_when_treatments_do_not_differ_even_if_the_holdout_does(onboarding):
    variant_world(onboarding, {"day2": (1000, 150), "day3": (1000, 152), "control": (300, 15)})
    [split] = ab.split_results(onboarding.journey)
    assert split.chi_squared["first_order"].p_value < 0.05
    assert split.verdict.code == "no_difference"
    assert split.verdict.winner is None


def test_revenue_per_member_counts_order_paid_value_within_the_goal_window_only(onboarding):
    day2 = onboarding.enrol(3, assignments={"ab": "day2"})
    day3 = onboarding.enrol(2, assignments={"ab": "day3"})
    onboarding.orders(day2[:1], 100)
    onboarding.orders(day2[1:2], 40, after=timedelta(days=59))
    onboarding.orders(day2[1:2], 999, after=timedelta(days=61))  # outside the 60-day second-order window
    onboarding.orders(day2[2:3], 500, name="refund_paid")
    onboarding.orders(day2[:1], 999, after=-timedelta(hours=1))  # before enrolment
    onboarding.orders(day3, 30)
    [split] = ab.split_results(onboarding.journey)
    assert split.revenue_window_days == 60
    revenue = split.variant("day2").revenue
    assert revenue.mean == pytest.approx(140 / 3)
    assert revenue == st.mean_interval(3, 140.0, 100.0 ** 2 + 40.0 ** 2)
    assert split.variant("day3").revenue.mean == pytest.approx(30.0)
    assert split.variant("day3").revenue_difference == st.mean_difference(revenue, split.variant("day3").revenue)


def test_results_come_from_the_rollup_which_refreshes_once_older_than_its_maximum_age(onboarding):
    variant_world(onboarding, {"day2": (20, 2), "day3": (20, 3)})
    ab.split_results(onboarding.journey)
    onboarding.enrol(5, assignments={"ab": "day2"})
    assert ab.split_results(onboarding.journey, max_age=3600)[0].variant("day2").members == 20
    assert ab.split_results(onboarding.journey, max_age=0)[0].variant("day2").members == 25
    assert VariantRollup.objects.filter(journey=onboarding.journey).count() == 2


def test_a_variant_with_no_members_yet_still_appears_with_no_rate(onboarding):
    variant_world(onboarding, {"day2": (10, 1)})
    [split] = ab.split_results(onboarding.journey)
    control = split.variant("control")
    assert control.members == 0
    assert control.goals["first_order"].rate is None and control.goals["first_order"].ci is None
    assert split.verdict.code == "too_early"


def test_sequential_winner_needs_the_minimum_sample_and_an_always_valid_crossing(onboarding):
    variant_world(onboarding, {"day2": (2000, 200), "day3": (2000, 320), "control": (400, 20)})
    [split] = ab.split_results(onboarding.journey)
    winner, evidence = ab.sequential_winner(split, alpha=0.05, min_members=1000)
    assert winner == "day3"
    assert evidence.p_value < 0.05
    assert ab.sequential_winner(split, alpha=0.05, min_members=5000) is None


def test_the_first_variant_wins_when_every_challenger_converts_significantly_less(onboarding):
    variant_world(onboarding, {"day2": (1000, 250), "day3": (1000, 150), "control": (200, 20)})
    [split] = ab.split_results(onboarding.journey)
    assert (split.verdict.code, split.verdict.winner) == ("winner", "day2")
    assert "every other variant converts significantly less (largest Holm-adjusted p < 0.001)" in split.verdict.message


def test_a_single_treatment_is_judged_by_its_lift_over_a_holdout_routed_to_exit(db):
    from .conftest import World, publish

    document = {
        "format": "journey/v1", "name": "Recall", "settings": {"goals": [{"key": "order", "event": "order_paid", "nth": 1, "window_days": 14}]},
        "nodes": [{"key": "start", "type": "entry", "config": {"manual": True}},
                  {"key": "ab", "type": "split", "config": {"variants": [{"key": "sms", "weight": 90}, {"key": "holdout", "weight": 10}]}},
                  {"key": "send", "type": "send", "config": {"channel": "sms", "template": "recall"}},
                  {"key": "out", "type": "exit"}],
        "edges": [{"from": "start", "to": "ab"}, {"from": "ab", "to": "send", "branch": "sms"},
                  {"from": "ab", "to": "out", "branch": "holdout"}],
    }
    world = World(publish(document))
    variant_world_for(world, {"sms": (1800, 360), "holdout": (200, 20)})
    [split] = ab.split_results(world.journey)
    assert split.holdout == "holdout" and split.treatments == ["sms"]
    assert (split.verdict.code, split.verdict.winner) == ("lift", "sms")
    assert "The messages work: sms converts +10.0 points above the holdout" in split.verdict.message


def variant_world_for(world, spec):
    for variant, (n, k) in spec.items():
        rows = world.enrol(n, assignments={"ab": variant})
        world.convert(rows[:k], "order")
