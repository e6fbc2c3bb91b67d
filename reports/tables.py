"""Rows for CSV export and data for the charts, built from the same reads the pages show."""

from . import funnel as funnel_module


def _num(x, digits=6):
    return "" if x is None else round(x, digits)


def funnel_table(result):
    header = ["segment", "group", "entered"]
    for g in result.goals:
        header += [f"{g}_members", f"{g}_rate", f"{g}_step_rate", f"{g}_median_hours"]
    rows = []

    def line(segment, group, row):
        out = [segment, group, row.entered]
        for s in row.steps:
            out += [s.members, _num(s.rate), _num(s.step_rate), _num(s.median_seconds and s.median_seconds / 3600, 2)]
        rows.append(out)

    line("overall", "", result.overall)
    for split, variants in result.variants.items():
        for key, row in variants.items():
            line(f"variant:{split}", key, row)
    for row in result.cohorts:
        line(f"cohort:{result.unit}", row.label, row)
    return header, rows


def cohort_rows(result, now=None):
    return [{"row": r, "cells": [funnel_module.cohort_cell(r, d, now=now) for d in funnel_module.COHORT_DAYS]}
            for r in result.cohorts]


def cohort_table(result):
    header = ["cohort", "enrolled"] + [f"converted_by_day_{d}" for d in funnel_module.COHORT_DAYS]
    return header, [[c["row"].label, c["row"].entered] + [_num(x) for x in c["cells"]] for c in cohort_rows(result)]


def variant_table(splits):
    header = ["split", "variant", "holdout", "members", "goal", "conversions", "rate", "ci_low", "ci_high",
              "p_value_vs_first", "uplift_points", "uplift_low", "uplift_high", "relative_uplift",
              "always_valid_p", "lift_over_holdout", "revenue_per_member", "revenue_low", "revenue_high"]
    rows = []
    for split in splits:
        for v in split.variants:
            for goal, r in v.goals.items():
                rows.append([
                    split.node_key, v.key, v.holdout, v.members, goal, r.conversions, _num(r.rate),
                    _num(r.ci and r.ci[0]), _num(r.ci and r.ci[1]), _num(r.p_value, 8),
                    _num(r.uplift and r.uplift.value), _num(r.uplift and r.uplift.low), _num(r.uplift and r.uplift.high),
                    _num(r.relative_uplift and r.relative_uplift.value), _num(r.sequential and r.sequential.p_value, 8),
                    _num(r.lift and r.lift.absolute.value), _num(v.revenue and v.revenue.mean, 2),
                    _num(v.revenue and v.revenue.low, 2), _num(v.revenue and v.revenue.high, 2),
                ])
    return header, rows


def node_table(rows, goals):
    header = ["node", "label", "type", "entered", "active", "branches"]
    header += [f"{g}_{what}" for g in goals for what in ("conversions", "rate")]
    out = []
    for r in rows:
        branches = "; ".join(f"{k}={v}" for k, v in sorted(r["branches"].items()))
        line = [r["key"], r["label"], r["type"], r["entered"], r["active"], branches]
        for g in goals:
            line += [r["conversions"].get(g, 0), _num(r["rates"].get(g))]
        out.append(line)
    return header, out


def activity_table(activity):
    kinds = list(activity["series"])
    header = ["day"] + kinds
    return header, [[d.isoformat()] + [activity["series"][k][i] for k in kinds] for i, d in enumerate(activity["days"])]


def history_table(promotions):
    header = ["at", "split", "variant", "keep_control", "automatic", "by"]
    return header, [[p.created_at.isoformat(), p.node_key, p.variant or "(withdrawn)", p.keep_control, p.automatic,
                     p.created_by.get_username() if p.created_by else ""] for p in promotions]


# --- charts --------------------------------------------------------------------------------------

def funnel_chart(result):
    steps = [{"name": "entered", "value": result.overall.entered}]
    steps += [{"name": s.goal, "value": s.members} for s in result.overall.steps]
    return {"steps": steps}


def activity_chart(activity):
    return {"days": [d.isoformat() for d in activity["days"]], "series": activity["series"]}


def variant_chart(split):
    goal = split.primary_goal
    if goal is None:
        return {"goal": None, "variants": []}
    return {"goal": goal, "variants": [
        {"key": v.key, "holdout": v.holdout, "members": v.members, "rate": v.goals[goal].rate,
         "low": v.goals[goal].ci[0] if v.goals[goal].ci else None,
         "high": v.goals[goal].ci[1] if v.goals[goal].ci else None}
        for v in split.variants]}
