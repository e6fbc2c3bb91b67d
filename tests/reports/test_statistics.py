import math
import random

import pytest
from scipy import stats as sp

from reports import statistics as st


# --- Wilson -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Published Wilson 95% intervals (Newcombe 1998, table I).
    (0, 10, 0.0, 0.2775),
    (1, 10, 0.0179, 0.4042),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
])
def test_wilson_interval_matches_published_values(k, n, low, high):
    got = st.wilson_interval(k, n)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(0, 7), (3, 7), (45, 100), (450, 1000), (9999, 10000), (1, 1_000_000)])
def test_wilson_interval_matches_scipy(k, n):
    expected = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    got = st.wilson_interval(k, n)
    assert got[0] == pytest.approx(expected.low, abs=1e-12)
    assert got[1] == pytest.approx(expected.high, abs=1e-12)


def test_wilson_interval_has_no_value_without_members():
    assert st.wilson_interval(0, 0) is None


# --- z-test -------------------------------------------------------------------------------------

def test_two_proportion_z_test_matches_the_hand_computed_pooled_statistic():
    # 200/1000 vs 250/1000: pooled p = 0.225, se = sqrt(0.225 * 0.775 * 2 / 1000) = 0.0186748
    result = st.two_proportion_z_test(200, 1000, 250, 1000)
    se = math.sqrt(0.225 * 0.775 * 2 / 1000)
    assert result.z == pytest.approx(0.05 / se, rel=1e-12)
    assert result.z == pytest.approx(2.67740, abs=1e-5)
    assert result.p_value == pytest.approx(2 * sp.norm.sf(0.05 / se), rel=1e-10)
    assert result.p_value == pytest.approx(0.0074197, abs=1e-6)


def test_two_proportion_z_squared_equals_the_uncorrected_chi_squared_of_the_same_table():
    z = st.two_proportion_z_test(37, 410, 61, 395)
    chi = sp.chi2_contingency([[37, 410 - 37], [61, 395 - 61]], correction=False)
    assert z.z ** 2 == pytest.approx(chi.statistic, rel=1e-10)
    assert z.p_value == pytest.approx(chi.pvalue, rel=1e-9)


def test_two_proportion_z_test_of_identical_degenerate_groups_is_not_significant():
    assert st.two_proportion_z_test(0, 50, 0, 80).p_value == 1.0
    assert st.two_proportion_z_test(5, 0, 3, 10) is None


# --- chi-squared --------------------------------------------------------------------------------

def test_chi_squared_matches_the_hand_computed_two_by_two_table():
    # [[10, 20], [30, 40]]: expected 12, 18, 28, 42; each cell is off by 2.
    result = st.chi_squared_independence([[10, 20], [30, 40]])
    assert result.statistic == pytest.approx(4 / 12 + 4 / 18 + 4 / 28 + 4 / 42, rel=1e-12)
    assert result.dof == 1
    # χ²(1) survival is erfc(sqrt(x / 2)).
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(result.statistic / 2)), rel=1e-10)


@pytest.mark.parametrize("table", [
    [[120, 880], [150, 850], [20, 180]],
    [[5, 95], [9, 91], [14, 86], [3, 97]],
    [[4500, 40500], [4700, 40300], [900, 9100]],
    [[0, 30], [3, 27]],
])
def test_chi_squared_across_variants_matches_scipy(table):
    expected = sp.chi2_contingency(table, correction=False)
    got = st.chi_squared_independence(table)
    assert got.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert got.dof == expected.dof
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize(("x", "dof"), [(0.5, 1), (3.84, 1), (10.0, 2), (7.2, 3), (40.0, 9), (150.0, 4), (0.01, 5)])
def test_chi_squared_survival_function_matches_scipy(x, dof):
    assert st.chi2_sf(x, dof) == pytest.approx(sp.chi2.sf(x, dof), rel=1e-9, abs=1e-300)


def test_chi_squared_survival_with_two_degrees_of_freedom_is_exp_minus_half_x():
    assert st.chi2_sf(6.0, 2) == pytest.approx(math.exp(-3.0), rel=1e-12)


def test_chi_squared_is_undefined_with_one_variant_or_no_outcome_variation():
    assert st.chi_squared_independence([[5, 10]]) is None
    assert st.chi_squared_independence([[0, 10], [0, 20]]) is None


# --- uplift and Holm ----------------------------------------------------------------------------

def test_absolute_uplift_is_the_rate_difference_with_the_unpooled_interval():
    est = st.absolute_uplift(100, 1000, 120, 1000)
    half = 1.959963985 * math.sqrt(0.1 * 0.9 / 1000 + 0.12 * 0.88 / 1000)
    assert est.value == pytest.approx(0.02, rel=1e-12)
    assert est.low == pytest.approx(0.02 - half, rel=1e-8)
    assert est.high == pytest.approx(0.02 + half, rel=1e-8)


def test_relative_uplift_uses_the_log_risk_ratio_interval():
    est = st.relative_uplift(100, 1000, 120, 1000)
    se = math.sqrt(1 / 120 - 1 / 1000 + 1 / 100 - 1 / 1000)
    assert est.value == pytest.approx(0.2, rel=1e-12)
    assert est.low == pytest.approx(1.2 * math.exp(-1.959963985 * se) - 1, rel=1e-8)
    assert est.high == pytest.approx(1.2 * math.exp(1.959963985 * se) - 1, rel=1e-8)
    assert st.relative_uplift(0, 1000, 10, 1000) is None


def test_holm_adjustment_matches_the_hand_computed_step_down():
    assert st.holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


# --- means --------------------------------------------------------------------------------------

def test_mean_interval_from_sums_matches_scipy_t_interval():
    values = [0, 0, 0, 35.5, 0, 120, 0, 18.2, 0, 0, 64, 0]
    est = st.mean_interval(len(values), sum(values), sum(v * v for v in values))
    low, high = sp.t.interval(0.95, len(values) - 1, loc=sp.tmean(values), scale=sp.sem(values))
    assert est.mean == pytest.approx(sum(values) / len(values))
    assert est.low == pytest.approx(low, rel=1e-9)
    assert est.high == pytest.approx(high, rel=1e-9)


@pytest.mark.parametrize(("p", "dof"), [(0.975, 1), (0.975, 10), (0.025, 4), (0.995, 57.3), (0.975, 100000)])
def test_t_quantile_matches_scipy(p, dof):
    assert st.t_quantile(p, dof) == pytest.approx(sp.t.ppf(p, dof), rel=1e-9)


def test_mean_difference_matches_scipy_welch_interval():
    a = [0, 10, 0, 30, 25, 0, 0, 12]
    b = [40, 0, 55, 60, 0, 31, 22, 0, 18]
    ea = st.mean_interval(len(a), sum(a), sum(x * x for x in a))
    eb = st.mean_interval(len(b), sum(b), sum(x * x for x in b))
    diff = st.mean_difference(ea, eb)
    welch = sp.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert diff.low == pytest.approx(welch.low, rel=1e-8)
    assert diff.high == pytest.approx(welch.high, rel=1e-8)


# --- holdout and minimum sample -----------------------------------------------------------------

def test_incremental_lift_counts_conversions_the_messages_added_over_the_holdout():
    lift = st.incremental_lift(holdout_k=50, holdout_n=1000, treated_k=900, treated_n=9000)
    assert lift.absolute.value == pytest.approx(0.05)
    assert lift.relative.value == pytest.approx(1.0)
    assert lift.incremental_conversions == pytest.approx(450.0)


def test_minimum_sample_rule_lists_what_is_missing():
    rule = st.SampleRule(min_members=100, min_outcomes=10)
    assert rule.shortfall(4, 60) == {"members": 40, "conversions": 6}
    assert rule.shortfall(95, 100) == {"non_conversions": 5}
    assert rule.shortfall(30, 300) == {}


# --- sequential ---------------------------------------------------------------------------------

def test_sequential_confidence_sequence_excludes_zero_exactly_when_the_always_valid_p_is_below_alpha():
    for k2 in range(80, 180, 7):
        seq = st.sequential_test(100, 1000, k2, 1000, alpha=0.05)
        assert (seq.low > 0 or seq.high < 0) == (seq.p_value < 0.05)


def test_sequential_p_value_is_more_conservative_than_the_fixed_horizon_z_test():
    seq = st.sequential_test(200, 1000, 250, 1000)
    assert seq.p_value > st.two_proportion_z_test(200, 1000, 250, 1000).p_value
    assert st.sequential_test(2000, 10000, 2500, 10000).p_value < 1e-6


def test_watching_an_aa_test_daily_keeps_sequential_false_winners_at_alpha_while_naive_peeking_inflates_them():
    rng = random.Random(20261122)
    experiments, days, per_day, p = 300, 30, 60, 0.1
    naive = sequential = 0
    for _ in range(experiments):
        k1 = k2 = n = 0
        naive_hit = seq_hit = False
        for _ in range(days):
            n += per_day
            k1 += sum(rng.random() < p for _ in range(per_day))
            k2 += sum(rng.random() < p for _ in range(per_day))
            naive_hit = naive_hit or st.two_proportion_z_test(k1, n, k2, n).p_value < 0.05
            seq_hit = seq_hit or st.sequential_test(k1, n, k2, n).p_value < 0.05
        naive += naive_hit
        sequential += seq_hit
    assert sequential / experiments <= 0.05
    assert naive / experiments > 0.15
