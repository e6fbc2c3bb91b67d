"""Reading the journey document for reports: goals, split nodes and which variants are holdouts."""

from collections import deque

DEFAULT_REVENUE_WINDOW_DAYS = 30


def journey_document(journey):
    """The published document the members run on; the draft before the first publication."""
    version = journey.current_version
    return (version.document if version is not None else journey.draft) or {}


def goals(document):
    return [g for g in (document.get("settings") or {}).get("goals") or [] if g.get("key")]


def goal_keys(document):
    return [g["key"] for g in goals(document)]


def revenue_window_days(document):
    """Revenue per member counts order_paid value within the longest order goal's window."""
    windows = [g.get("window_days") for g in goals(document) if g.get("event") == "order_paid" and g.get("window_days")]
    windows = windows or [g.get("window_days") for g in goals(document) if g.get("window_days")]
    return int(max(windows)) if windows else DEFAULT_REVENUE_WINDOW_DAYS


def nodes(document):
    return [n for n in document.get("nodes") or [] if n.get("key")]


def split_nodes(document):
    return [n for n in nodes(document) if n.get("type") == "split"]


def variant_keys(node):
    return [v["key"] for v in (node.get("config") or {}).get("variants") or [] if v.get("key")]


def holdout_variants(document, node):
    """Variants whose members can never receive a message: their branch reaches no `send` node.

    SPEC calls a variant routed to `exit` a holdout; a variant that only waits (like the
    onboarding journey's `control` → `hold`) is one too, since nothing is sent to it.
    """
    types = {n["key"]: n.get("type") for n in nodes(document)}
    edges = {}
    for edge in document.get("edges") or []:
        edges.setdefault(edge.get("from"), []).append(edge)
    holdouts = []
    for variant in variant_keys(node):
        starts = [e.get("to") for e in edges.get(node["key"], []) if e.get("branch") == variant]
        seen, queue, sends = set(starts), deque(starts), False
        while queue and not sends:
            key = queue.popleft()
            sends = types.get(key) == "send"
            for edge in edges.get(key, []):
                if edge.get("to") not in seen:
                    seen.add(edge.get("to"))
                    queue.append(edge.get("to"))
        if not sends:
            holdouts.append(variant)
    return holdouts
