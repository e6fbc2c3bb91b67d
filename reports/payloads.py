"""JSON shapes of the reports API (SPEC §3 /stats and /funnel), built from the read modules."""

from . import ab, funnel


def _estimate(e):
    return None if e is None else {"value": e.value, "low": e.low, "high": e.high}


def _ci(ci):
    return None if ci is None else [ci[0], ci[1]]


def goal_payload(g):
    return {
        "conversions": g.conversions,
        "rate": g.rate,
        "ci": _ci(g.ci),
        "p_value": g.p_value,
        "uplift": _estimate(g.uplift),
        "relative_uplift": _estimate(g.relative_uplift),
        "sequential_p_value": g.sequential.p_value if g.sequential else None,
        "lift_over_holdout": None if g.lift is None else {
            "absolute": _estimate(g.lift.absolute), "relative": _estimate(g.lift.relative),
            "incremental_conversions": g.lift.incremental_conversions,
        },
    }


def split_payload(result):
    """Per variant: SPEC's members, conversions {goal: n}, and rate, ci, p_value for the journey's
    first goal; `goals` repeats rate/ci/p_value (plus uplift and lift) for every goal."""
    primary = result.primary_goal
    variants = {}
    for v in result.variants:
        first = v.goals.get(primary)
        variants[v.key] = {
            "members": v.members,
            "holdout": v.holdout,
            "conversions": {g: r.conversions for g, r in v.goals.items()},
            "rate": first.rate if first else None,
            "ci": _ci(first.ci) if first else None,
            "p_value": first.p_value if first else None,
            "goals": {g: goal_payload(r) for g, r in v.goals.items()},
            "revenue_per_member": None if v.revenue is None else {"mean": v.revenue.mean, "ci": [v.revenue.low, v.revenue.high]},
            "revenue_difference": _estimate(v.revenue_difference),
        }
    return {
        "label": result.label,
        "goal": primary,
        "variants": variants,
        "chi_squared": {g: None if c is None else {"statistic": c.statistic, "dof": c.dof, "p_value": c.p_value}
                        for g, c in result.chi_squared.items()},
        "holdout": result.holdout,
        "verdict": {"code": result.verdict.code, "message": result.verdict.message, "winner": result.verdict.winner},
        "promoted": result.override,
        "revenue_window_days": result.revenue_window_days,
        "as_of": result.refreshed_at.isoformat() if result.refreshed_at else None,
    }


def stats_payload(journey, node_stats):
    return {
        "journey": journey.pk,
        "enrolled": node_stats["enrolled"],
        "nodes": node_stats["nodes"],
        "goals": node_stats["goals"],
        "splits": {r.node_key: split_payload(r) for r in ab.split_results(journey)},
    }


def _row(row):
    return {
        "entered": row.entered,
        "steps": [{"goal": s.goal, "members": s.members, "rate": s.rate, "step_rate": s.step_rate,
                   "median_seconds_to_convert": s.median_seconds} for s in row.steps],
    }


def funnel_payload(journey, result, as_of):
    return {
        "journey": journey.pk,
        "as_of": as_of.isoformat(),
        "goals": result.goals,
        "cohort": result.unit,
        "timezone": result.timezone,
        "overall": _row(result.overall),
        "variants": {split: {k: _row(r) for k, r in rows.items()} for split, rows in result.variants.items()},
        "cohorts": [
            {"cohort": r.label, **_row(r),
             "converted_by_day": {str(d): funnel.cohort_cell(r, d) for d in funnel.COHORT_DAYS}}
            for r in result.cohorts
        ],
    }
