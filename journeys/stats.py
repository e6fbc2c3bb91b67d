"""Per-node and per-goal counts for one journey, from the counters the engine maintains.

Reads NodeStat only (a few rows per node), never the step log or the enrolments, so it costs the
same at 1,000,000 enrolments as at ten. Counters of every version are summed per node key.
"""

from collections import defaultdict

from .models import NodeStat


def journey_stats(journey):
    """{"nodes": {key: {"entered", "active", "branches": {name: n}, "conversions": {goal: n}}},
    "goals": {goal: members converted}, "enrolled": n}."""
    document = journey.current_version.document if journey.current_version_id else journey.draft
    goals = [g["key"] for g in (document.get("settings") or {}).get("goals") or [] if isinstance(g, dict) and "key" in g]
    nodes = {}

    def node(key):
        if key not in nodes:
            nodes[key] = {"entered": 0, "active": 0, "branches": {}, "conversions": dict.fromkeys(goals, 0)}
        return nodes[key]

    for item in document.get("nodes") or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            node(item["key"])
    totals = defaultdict(int)
    rows = NodeStat.objects.filter(journey=journey).values_list("node_key", "metric", "count")
    for node_key, metric, count in rows:
        totals[(node_key, metric)] += count
    goal_totals = dict.fromkeys(goals, 0)
    for (node_key, metric), count in totals.items():
        kind, _, name = metric.partition(":")
        if node_key == "":
            if kind == "conversion":
                goal_totals[name] = count
            continue
        stats = node(node_key)
        if kind in ("entered", "active"):
            stats[kind] = count
        elif kind == "branch":
            stats["branches"][name] = count
        elif kind == "conversion":
            stats["conversions"][name] = count
    entry = next((n["key"] for n in document.get("nodes") or [] if isinstance(n, dict) and n.get("type") == "entry"), None)
    return {"nodes": nodes, "goals": goal_totals, "enrolled": nodes[entry]["entered"] if entry in nodes else 0}
