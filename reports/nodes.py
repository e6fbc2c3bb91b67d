"""Per-node numbers for reports: the engine's counters (journeys.stats) with the document's labels."""

from django.utils.translation import gettext_lazy as _

from journeys.stats import journey_stats

from . import documents

# The canvas palette's names for the node types (same source texts, so one translation).
TYPE_LABELS = {
    "entry": _("Entry"), "delay": _("Delay"), "wait": _("Wait for event"), "condition": _("Condition"),
    "split": _("A/B split"), "send": _("Send message"), "action": _("Action"), "exit": _("Exit"),
}


def node_stats(journey):
    """SPEC §3: per node `entered`, `active`, `branches`, `conversions`; per goal totals; `enrolled`."""
    return journey_stats(journey)


def node_rows(journey, stats=None):
    """One row per node in document order (nodes of older versions after them), with rates."""
    stats = stats or node_stats(journey)
    document = documents.journey_document(journey)
    by_key = stats["nodes"]
    known = documents.nodes(document)
    rows = []
    for node in known + [{"key": k} for k in by_key if k not in {n["key"] for n in known}]:
        numbers = by_key.get(node["key"], {})
        entered = numbers.get("entered", 0)
        conversions = numbers.get("conversions", {})
        rows.append({
            "key": node["key"], "label": node.get("label") or node["key"], "type": node.get("type", ""),
            "type_label": TYPE_LABELS.get(node.get("type"), node.get("type", "")),
            "entered": entered, "active": numbers.get("active", 0), "branches": numbers.get("branches", {}),
            "conversions": conversions,
            "rates": {g: (conversions.get(g, 0) / entered if entered else None) for g in documents.goal_keys(document)},
        })
    return rows
