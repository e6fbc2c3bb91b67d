"""Parse and validate a journey/v1 document.

Pure functions over the JSON document: no ORM. Whatever needs the database (known channels and
templates) is passed in by the caller (journeys.services.validate_for_publish). Errors are dicts
`{"node": KEY or None, "message": str}`; document-level problems (settings, shape) use node None.
"""

from dataclasses import dataclass, field
from datetime import timedelta
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.parsers import unstorable_text

FORMAT = "journey/v1"
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$", re.IGNORECASE)
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
DURATION_UNITS = ("days", "hours", "minutes")
REENTRY_MODES = ("never", "after", "always")
DEFAULT_SETTINGS = {"timezone": "Asia/Shanghai", "reentry": {"mode": "never"}, "goals": [], "exit_on": [], "priority": 0}


class DocumentError(ValueError):
    """The document is not a journey/v1 object at all (wrong format or shape)."""


def error(node, message):
    return {"node": node, "message": message}


def check_shape(document):
    """The minimum a draft must satisfy: a journey/v1 object with `nodes` and `edges` lists."""
    if not isinstance(document, dict):
        raise DocumentError("The document must be a JSON object.")
    if document.get("format") != FORMAT:
        raise DocumentError(f'"format" must be "{FORMAT}".')
    for key in ("nodes", "edges"):
        if not isinstance(document.get(key), list):
            raise DocumentError(f'"{key}" must be a list.')
    if not isinstance(document.get("name", ""), str):
        raise DocumentError('"name" must be a string.')
    if not isinstance(document.get("settings", {}), dict):
        raise DocumentError('"settings" must be an object.')
    if unstorable_text(document):
        # PostgreSQL cannot store it in jsonb: refused here rather than failing the save with a 500.
        raise DocumentError("Text in the document may not contain the NUL character (\\u0000) or lone surrogates.")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration_errors(value, *, what, allow_zero=False):
    """Messages for a `{"days", "hours", "minutes"}` duration."""
    if not isinstance(value, dict):
        return [f"{what} must be an object with days, hours and/or minutes."]
    unknown = set(value) - set(DURATION_UNITS)
    if unknown:
        return [f"{what} has unknown keys: {', '.join(sorted(unknown))} (use days, hours, minutes)."]
    messages = [f"{what}.{unit} must be a number ≥ 0." for unit in DURATION_UNITS
                if unit in value and (not is_number(value[unit]) or value[unit] < 0)]
    if not messages and not allow_zero and duration(value) <= timedelta(0):
        messages.append(f"{what} must be longer than zero.")
    return messages


def duration(value):
    return timedelta(days=value.get("days", 0), hours=value.get("hours", 0), minutes=value.get("minutes", 0))


def settings_of(document):
    """The document's settings with defaults filled in (used by the engine and the sender)."""
    return {**DEFAULT_SETTINGS, **(document.get("settings") or {})}


def timezone_of(document):
    try:
        return ZoneInfo(settings_of(document).get("timezone") or DEFAULT_SETTINGS["timezone"])
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo(DEFAULT_SETTINGS["timezone"])


@dataclass
class Graph:
    """The document as the engine walks it: nodes by key, and the edge leaving each (node, branch)."""

    nodes: dict
    edges: dict = field(default_factory=dict)
    entry: str | None = None
    settings: dict = field(default_factory=dict)

    @classmethod
    def of(cls, document):
        nodes = {n["key"]: n for n in document.get("nodes", []) if isinstance(n, dict) and isinstance(n.get("key"), str)}
        graph = cls(nodes=nodes, settings=settings_of(document))
        for edge in document.get("edges", []):
            if edge_is_well_formed(edge):
                graph.edges.setdefault(edge.get("from"), {})[edge.get("branch") or "next"] = edge.get("to")
        entries = [k for k, n in nodes.items() if n.get("type") == "entry"]
        graph.entry = entries[0] if len(entries) == 1 else None
        return graph

    def config(self, key):
        return self.nodes[key].get("config") or {}

    def type(self, key):
        return self.nodes[key].get("type")

    def next(self, key, branch):
        return self.edges.get(key, {}).get(branch)

    def goals(self):
        return {g["key"]: g for g in self.settings.get("goals") or [] if isinstance(g, dict) and "key" in g}


@dataclass
class Context:
    """What config validation may look up; None means "do not check references" (drafts)."""

    channels: set | None = None
    templates: dict | None = None  # slug -> channel key
    goals: set = field(default_factory=set)


def validate(document, *, channels=None, templates=None):
    """Every SPEC "Validation on publish" rule; returns a list of errors (empty when publishable)."""
    from .nodes import REGISTRY

    try:
        check_shape(document)
    except DocumentError as exc:
        return [error(None, str(exc))]
    errors = _settings_errors(settings_of(document))
    goals = {g.get("key") for g in settings_of(document).get("goals") or [] if isinstance(g, dict)}
    ctx = Context(channels=channels, templates=templates, goals=goals)

    seen = set()
    for index, node in enumerate(document["nodes"]):
        if not isinstance(node, dict) or not isinstance(node.get("key"), str) or not KEY_RE.match(node["key"]):
            errors.append(error(None, f"Node #{index + 1} needs a \"key\": a slug of letters, digits, - or _."))
            continue
        key = node["key"]
        if key in seen:
            errors.append(error(key, f'Node key "{key}" is used twice.'))
            continue
        seen.add(key)
        kind = REGISTRY.get(node.get("type")) if isinstance(node.get("type"), str) else None
        if kind is None:
            errors.append(error(key, f'Node "{key}" has unknown type {node.get("type")!r}; use one of {", ".join(REGISTRY)}.'))
            continue
        config = node.get("config", {})
        if not isinstance(config, dict):
            errors.append(error(key, f'Node "{key}": "config" must be an object.'))
            continue
        errors.extend(error(key, f'Node "{key}" ({node["type"]}): {m}') for m in kind.validate(config, ctx))

    graph = Graph.of(document)
    entries = [k for k, n in graph.nodes.items() if n.get("type") == "entry"]
    if not entries:
        errors.append(error(None, "The journey needs exactly one entry node; it has none."))
    for extra in entries[1:]:
        errors.append(error(extra, f'Node "{extra}" is a second entry node; a journey has exactly one.'))

    errors.extend(_edge_errors(document["edges"], graph, REGISTRY))
    if graph.entry:
        errors.extend(_reachability_errors(graph))
    errors.extend(_cycle_errors(graph, REGISTRY))
    return errors


def _settings_errors(settings):
    errors = []
    try:
        ZoneInfo(settings.get("timezone"))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        errors.append(error(None, f'settings.timezone {settings.get("timezone")!r} is not a known time zone (e.g. "Asia/Shanghai").'))
    reentry = settings.get("reentry")
    if not isinstance(reentry, dict) or reentry.get("mode") not in REENTRY_MODES:
        errors.append(error(None, 'settings.reentry must be {"mode": "never"}, {"mode": "after", "days": N} or {"mode": "always"}.'))
    elif reentry["mode"] == "after" and not (is_number(reentry.get("days")) and reentry["days"] > 0):
        errors.append(error(None, 'settings.reentry "after" needs "days" > 0.'))
    goals = settings.get("goals")
    if not isinstance(goals, list):
        errors.append(error(None, "settings.goals must be a list."))
        goals = []
    goal_keys = set()
    for index, goal in enumerate(goals):
        where = f"settings.goals[{index}]"
        if not isinstance(goal, dict) or not isinstance(goal.get("key"), str) or not KEY_RE.match(goal["key"]):
            errors.append(error(None, f"{where} needs a slug \"key\"."))
            continue
        if goal["key"] in goal_keys:
            errors.append(error(None, f'{where}: goal key "{goal["key"]}" is used twice.'))
        goal_keys.add(goal["key"])
        if not isinstance(goal.get("event"), str) or not goal["event"]:
            errors.append(error(None, f'{where} ("{goal["key"]}") needs an "event" name.'))
        if not (isinstance(goal.get("nth", 1), int) and not isinstance(goal.get("nth", 1), bool) and goal.get("nth", 1) >= 1):
            errors.append(error(None, f'{where} ("{goal["key"]}"): "nth" must be an integer ≥ 1.'))
        if not (is_number(goal.get("window_days")) and goal["window_days"] > 0):
            errors.append(error(None, f'{where} ("{goal["key"]}"): "window_days" must be a number > 0.'))
        unknown = set(goal) - {"key", "event", "nth", "window_days", "where", "label"}
        if unknown:
            errors.append(error(None, f'{where} ("{goal["key"]}") has unknown keys: {", ".join(sorted(unknown))}.'))
        if "where" in goal:
            errors.extend(error(None, f'{where} ("{goal["key"]}").where: {m}') for m in event_where_errors(goal["where"]))
    exit_on = settings.get("exit_on")
    if not isinstance(exit_on, list) or not all(isinstance(e, str) and e for e in exit_on):
        errors.append(error(None, "settings.exit_on must be a list of event names."))
    quiet = settings.get("quiet_hours")
    if quiet is not None and not (isinstance(quiet, dict) and all(TIME_RE.match(str(quiet.get(k, ""))) for k in ("start", "end"))):
        errors.append(error(None, 'settings.quiet_hours must be {"start": "HH:MM", "end": "HH:MM"}.'))
    cap = settings.get("frequency_cap")
    if cap is not None and not (isinstance(cap, dict) and isinstance(cap.get("max"), int) and cap["max"] >= 1
                                and is_number(cap.get("per_hours")) and cap["per_hours"] > 0):
        errors.append(error(None, 'settings.frequency_cap must be {"max": N ≥ 1, "per_hours": H > 0}.'))
    if not isinstance(settings.get("priority"), int) or isinstance(settings.get("priority"), bool):
        errors.append(error(None, "settings.priority must be an integer."))
    return errors


def rule_errors(rule, *, allow_goal=False):
    from members.rules import RuleError, validate_rule

    try:
        validate_rule(rule, allow_goal=allow_goal)
    except RuleError as exc:
        return [str(exc)]
    return []


def event_where_errors(rule):
    from members.rules import RuleError, validate_event_where

    try:
        validate_event_where(rule)
    except RuleError as exc:
        return [str(exc)]
    return []


def edge_is_well_formed(edge):
    """An object whose from/to (and branch, if any) are strings — anything else cannot even be looked up."""
    return (isinstance(edge, dict) and isinstance(edge.get("from"), str) and isinstance(edge.get("to"), str)
            and isinstance(edge.get("branch") or "", str))


def _edge_errors(edges, graph, registry):
    errors = []
    used = set()
    for index, edge in enumerate(edges):
        if not edge_is_well_formed(edge):
            errors.append(error(None, f"Edge #{index + 1} must be an object whose from, to and branch are node keys and a branch name."))
            continue
        source, target, branch = edge.get("from"), edge.get("to"), edge.get("branch") or "next"
        if source not in graph.nodes:
            errors.append(error(source if isinstance(source, str) else None, f"Edge #{index + 1} leaves unknown node {source!r}."))
            continue
        if target not in graph.nodes:
            errors.append(error(source, f'Node "{source}" has an edge to unknown node {target!r}.'))
            continue
        kind = registry.get(graph.type(source)) if isinstance(graph.type(source), str) else None
        if kind is None:
            continue
        branches = kind.branches(graph.config(source))
        if branch not in branches:
            offered = ", ".join(branches) if branches else "none"
            errors.append(error(source, f'Node "{source}" has no branch "{branch}" (its branches: {offered}).'))
        elif (source, branch) in used:
            errors.append(error(source, f'Node "{source}" has two edges on branch "{branch}".'))
        used.add((source, branch))
    return errors


def _reachability_errors(graph):
    reached, stack = {graph.entry}, [graph.entry]
    while stack:
        for target in graph.edges.get(stack.pop(), {}).values():
            if target in graph.nodes and target not in reached:
                reached.add(target)
                stack.append(target)
    return [error(k, f'Node "{k}" cannot be reached from the entry node.') for k in graph.nodes if k not in reached]


def _cycle_errors(graph, registry):
    """A cycle made only of instant nodes would spin forever: find one through Tarjan's SCCs."""
    instant = {k for k, n in graph.nodes.items()
               if not isinstance(n.get("type"), str) or getattr(registry.get(n["type"]), "instant", True)}
    successors = {k: [t for t in graph.edges.get(k, {}).values() if t in instant] for k in instant}
    index, low, on_stack, stack, errors, counter = {}, {}, set(), [], [], [0]

    def visit(start):
        work = [(start, iter(successors[start]))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in successors[node]:
                    first = sorted(component)[0]
                    path = " → ".join(sorted(component))
                    errors.append(error(first, f'Node "{first}" is on a cycle with no delay or wait ({path}).'))

    for key in sorted(instant):
        if key not in index:
            visit(key)
    return errors
