"""A/B/n results for every split node of a journey, with an honest verdict.

The fixed-horizon numbers (Wilson intervals, pooled z-test against the first variant, χ² across
variants) answer "what does the data say now"; the verdict refuses to name a winner before the
minimum sample, corrects for several variants (Holm) and points at the always-valid sequential
p-value, which is what automatic promotion acts on.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from . import documents, statistics as st
from .rollups import rollup

ALPHA = 0.05


def sample_rule():
    return st.SampleRule(
        min_members=getattr(settings, "REPORTS_MIN_MEMBERS", 100),
        min_outcomes=getattr(settings, "REPORTS_MIN_CONVERSIONS", 10),
    )


@dataclass
class GoalResult:
    conversions: int
    rate: float | None
    ci: tuple | None
    p_value: float | None = None
    uplift: st.Estimate | None = None
    relative_uplift: st.Estimate | None = None
    sequential: st.Sequential | None = None
    lift: st.IncrementalLift | None = None


@dataclass
class VariantResult:
    key: str
    members: int
    holdout: bool
    goals: dict
    revenue: st.MeanEstimate | None = None
    revenue_difference: st.Estimate | None = None


@dataclass
class Verdict:
    code: str
    message: str
    winner: str | None = None


@dataclass
class SplitResult:
    node_key: str
    label: str
    goal_keys: list
    primary_goal: str | None
    variants: list
    chi_squared: dict
    verdict: Verdict
    holdout: str | None
    override: dict | None
    revenue_window_days: int
    refreshed_at: object = None
    treatments: list = field(default_factory=list)

    def variant(self, key):
        return next((v for v in self.variants if v.key == key), None)


def split_results(journey, max_age=None):
    document = documents.journey_document(journey)
    splits = documents.split_nodes(document)
    if not splits:
        return []
    rows, state = rollup(journey, max_age=max_age)
    by_node = {}
    for row in rows:
        by_node.setdefault(row.node_key, {})[row.variant] = row
    goal_keys = documents.goal_keys(document)
    overrides = journey.split_overrides or {}
    return [
        _split_result(node, document, by_node.get(node["key"], {}), goal_keys, overrides.get(node["key"]), state)
        for node in splits
    ]


def _split_result(node, document, rows, goal_keys, override, state):
    # Document order first; variants only older versions had keep their data, after them.
    keys = documents.variant_keys(node)
    keys += sorted(k for k in rows if k not in keys)
    holdouts = set(documents.holdout_variants(document, node))
    counts = {k: (rows[k].members if k in rows else 0) for k in keys}
    conv = {k: {g: int((rows[k].conversions or {}).get(g, 0)) if k in rows else 0 for g in goal_keys} for k in keys}
    baseline = keys[0] if keys else None
    holdout = next((k for k in keys if k in holdouts), None)

    variants = []
    for k in keys:
        n = counts[k]
        goals = {}
        for g in goal_keys:
            c = conv[k][g]
            result = GoalResult(conversions=c, rate=st.rate(c, n), ci=st.wilson_interval(c, n))
            if k != baseline and baseline is not None:
                b_n, b_c = counts[baseline], conv[baseline][g]
                z = st.two_proportion_z_test(b_c, b_n, c, n)
                result.p_value = z.p_value if z else None
                result.uplift = st.absolute_uplift(b_c, b_n, c, n)
                result.relative_uplift = st.relative_uplift(b_c, b_n, c, n)
                result.sequential = st.sequential_test(b_c, b_n, c, n, alpha=ALPHA)
            if holdout is not None and k != holdout:
                result.lift = st.incremental_lift(conv[holdout][g], counts[holdout], c, n)
            goals[g] = result
        revenue = None
        if k in rows:
            revenue = st.mean_interval(n, rows[k].revenue_sum, rows[k].revenue_sum_squares)
        variants.append(VariantResult(key=k, members=n, holdout=k in holdouts, goals=goals, revenue=revenue))
    if variants:
        for v in variants[1:]:
            v.revenue_difference = st.mean_difference(variants[0].revenue, v.revenue)

    chi = {g: st.chi_squared_independence([[conv[k][g], counts[k] - conv[k][g]] for k in keys]) for g in goal_keys}
    primary = goal_keys[0] if goal_keys else None
    treatments = [v for v in variants if not v.holdout]
    return SplitResult(
        node_key=node["key"], label=node.get("label") or node["key"], goal_keys=goal_keys, primary_goal=primary,
        variants=variants, chi_squared=chi, verdict=verdict(variants, treatments, primary), holdout=holdout,
        override=override, revenue_window_days=state.revenue_window_days, refreshed_at=state.refreshed_at,
        treatments=[v.key for v in treatments],
    )


def _pct(x):
    return f"{x * 100:.1f}%"


def _p(p):
    """'p = 0.012' or 'p < 0.001', for sentences."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def verdict(variants, treatments, goal, rule=None, alpha=ALPHA):
    """One sentence an operator can act on, for the primary goal.

    The decision is among the treatments (variants that receive messages); a holdout is there to
    measure lift, not to win. With one treatment the question becomes: do the messages lift
    conversion over the holdout?
    """
    rule = rule or sample_rule()
    if goal is None:
        return Verdict("no_goal", _("The journey has no goal, so there is nothing to compare."))
    if not variants or sum(v.members for v in variants) == 0:
        return Verdict("no_data", _("No member has reached this split yet."))
    # The sample rule applies to the variants the decision compares: the treatments, or the
    # single treatment and its holdout.
    compared = treatments if len(treatments) >= 2 else variants
    short = [v.key for v in compared if rule.shortfall(v.goals[goal].conversions, v.members)]
    if short:
        return Verdict("too_early", _(
            "Too early to call: %(variants)s below the minimum sample of %(members)s members and "
            "%(outcomes)s conversions and non-conversions per variant. No winner is named before that."
        ) % {"variants": ", ".join(short), "members": rule.min_members, "outcomes": rule.min_outcomes})

    if len(treatments) == 1:
        holdout = next(v for v in variants if v.holdout)
        only = treatments[0]
        lift = only.goals[goal].lift
        z = st.two_proportion_z_test(holdout.goals[goal].conversions, holdout.members, only.goals[goal].conversions, only.members)
        if z.p_value < alpha and lift.absolute.value > 0:
            return Verdict("lift", _(
                "The messages work: %(variant)s converts %(uplift)s points above the holdout "
                "(95%% CI %(low)s to %(high)s, %(p)s)."
            ) % {"variant": only.key, "uplift": f"{lift.absolute.value * 100:+.1f}", "low": f"{lift.absolute.low * 100:+.1f}",
                 "high": f"{lift.absolute.high * 100:+.1f}", "p": _p(z.p_value)}, winner=only.key)
        return Verdict("no_lift", _("No significant lift over the holdout yet (%(p)s).") % {"p": _p(z.p_value)})
    if not treatments:
        return Verdict("no_treatment", _("Every variant is a holdout; there is nothing to compare."))

    chi = st.chi_squared_independence([[v.goals[goal].conversions, v.members - v.goals[goal].conversions] for v in treatments])
    if chi is None or chi.p_value >= alpha:
        p = chi.p_value if chi else 1.0
        return Verdict("no_difference", _(
            "No significant difference between %(variants)s (χ² %(p)s). Keep the test running, or treat it as a tie."
        ) % {"variants": ", ".join(v.key for v in treatments), "p": _p(p)})

    base = treatments[0]
    others = treatments[1:]
    raw = [st.two_proportion_z_test(base.goals[goal].conversions, base.members, v.goals[goal].conversions, v.members).p_value
           for v in others]
    adjusted = dict(zip([v.key for v in others], st.holm_adjust(raw)))
    best = max(treatments, key=lambda v: v.goals[goal].rate)
    if best is base:
        if all(p < alpha for p in adjusted.values()):
            return Verdict("winner", _(
                "%(variant)s wins on %(goal)s with %(rate)s: every other variant converts significantly less "
                "(largest Holm-adjusted %(p)s)."
            ) % {"variant": base.key, "goal": goal, "rate": _pct(base.goals[goal].rate), "p": _p(max(adjusted.values()))},
                winner=base.key)
    elif adjusted[best.key] < alpha:
        result = best.goals[goal]
        return Verdict("winner", _(
            "%(variant)s wins on %(goal)s: %(rate)s vs %(base_rate)s for %(base)s, %(uplift)s points "
            "(95%% CI %(low)s to %(high)s; Holm-adjusted %(p)s; always-valid %(seq)s)."
        ) % {"variant": best.key, "goal": goal, "rate": _pct(result.rate), "base_rate": _pct(base.goals[goal].rate),
             "base": base.key, "uplift": f"{result.uplift.value * 100:+.1f}", "low": f"{result.uplift.low * 100:+.1f}",
             "high": f"{result.uplift.high * 100:+.1f}", "p": _p(adjusted[best.key]), "seq": _p(result.sequential.p_value)},
            winner=best.key)
    return Verdict("unclear", _(
        "The variants differ (χ² %(p)s), but no single variant beats the others significantly yet."
    ) % {"p": _p(chi.p_value)})


def sequential_winner(result, alpha, min_members):
    """The treatment that beats the first variant on the always-valid test, or None.

    Bonferroni over the comparisons keeps the family's false-winner rate at alpha.
    """
    goal = result.primary_goal
    treatments = [result.variant(k) for k in result.treatments]
    if goal is None or len(treatments) < 2 or any(v.members < min_members for v in treatments):
        return None
    base = treatments[0]
    level = alpha / (len(treatments) - 1)
    winners = []
    for v in treatments[1:]:
        seq = st.sequential_test(base.goals[goal].conversions, base.members, v.goals[goal].conversions, v.members, alpha=level)
        if seq.p_value < level:
            winners.append((seq.difference, v.key if seq.difference > 0 else base.key, seq))
    if not winners:
        return None
    # A significantly better challenger wins; if the baseline beat every challenger, it wins.
    better = [w for w in winners if w[0] > 0]
    if better:
        top = max(better, key=lambda w: w[0])
        return top[1], top[2]
    if len(winners) == len(treatments) - 1:
        closest = max(winners, key=lambda w: w[0])
        return base.key, closest[2]
    return None
