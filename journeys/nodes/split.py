import hashlib

from ..document import KEY_RE, is_number
from .base import NodeType, unknown_keys

class Split(NodeType):
    type = "split"

    def branches(self, config):
        variants = config.get("variants")
        return [v["key"] for v in variants if isinstance(v, dict) and isinstance(v.get("key"), str)] if isinstance(variants, list) else []

    def validate(self, config, ctx):
        messages = unknown_keys(config, ["variants"])
        variants = config.get("variants")
        if not isinstance(variants, list) or not 2 <= len(variants) <= 10:
            return messages + ['"variants" must be a list of 2 to 10 {"key", "weight"} objects.']
        keys = []
        for index, variant in enumerate(variants):
            if not (isinstance(variant, dict) and isinstance(variant.get("key"), str) and KEY_RE.match(variant["key"])):
                messages.append(f"variant #{index + 1} needs a slug \"key\".")
                continue
            if not (is_number(variant.get("weight")) and variant["weight"] > 0):
                messages.append(f'variant "{variant["key"]}" needs a "weight" > 0.')
            keys.append(variant["key"])
        if len(set(keys)) != len(keys):
            messages.append("variant keys must be unique.")
        return messages

    def handle(self, steps, node, run):
        key = node["key"]
        variants = node["config"]["variants"]
        override = run.split_override(steps[0].journey_id, key)
        kept = holdouts(run.graph(steps[0]), key) if override and override.get("keep_control") else set()
        for step in steps:
            variant = step.assignments.get(key)
            if variant is None:
                variant = assign(variants, step.journey_id, key, step.member_id)
                if override and override.get("variant") and variant not in kept:
                    variant = override["variant"]
                step.assign(key, variant)
            step.leave(variant)


def holdouts(graph, node_key):
    """Variants whose branch reaches no `send` node: the control groups a promotion may keep."""
    kept = set()
    for variant, target in graph.edges.get(node_key, {}).items():
        seen, stack = set(), [target]
        while stack:
            key = stack.pop()
            if key in seen or key not in graph.nodes:
                continue
            seen.add(key)
            if graph.type(key) == "send":
                break
            stack.extend(graph.edges.get(key, {}).values())
        else:
            kept.add(variant)
    for variant in graph.config(node_key).get("variants", []):
        if variant["key"] not in graph.edges.get(node_key, {}):
            kept.add(variant["key"])  # no edge: the member's enrolment ends there, untouched
    return kept


def assign(variants, journey_id, node_key, member_id):
    """Deterministic weighted choice: the same (journey, node, member) always lands in the same variant."""
    digest = hashlib.blake2b(f"{journey_id}:{node_key}:{member_id}".encode(), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / 2**64 * sum(v["weight"] for v in variants)
    for variant in variants:
        point -= variant["weight"]
        if point < 0:
            return variant["key"]
    return variants[-1]["key"]


node_type = Split()
