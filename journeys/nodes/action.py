from ..document import is_number
from .base import NodeType

KINDS = ("add_tag", "remove_tag", "set_attribute", "grant_points", "grant_coupon", "webhook")


class Action(NodeType):
    type = "action"

    def validate(self, config, ctx):
        found = [k for k in config if k in KINDS]
        if len(found) != 1 or len(config) != 1:
            return [f"needs exactly one of: {', '.join(KINDS)}."]
        kind, value = found[0], config[found[0]]
        if kind in ("add_tag", "remove_tag", "grant_coupon") and not (isinstance(value, str) and value.strip()):
            return [f'"{kind}" must be a non-empty string.']
        if kind == "set_attribute" and not (isinstance(value, dict) and value and all(isinstance(k, str) and k for k in value)):
            return ['"set_attribute" must be an object {name: value} with at least one name.']
        if kind == "grant_points" and not (isinstance(value, int) and is_number(value) and value != 0):
            return ['"grant_points" must be a non-zero integer.']
        if kind == "webhook":
            url = value.get("url") if isinstance(value, dict) else None
            if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
                return ['"webhook" must be {"url": "https://…"}.']
        return []

    def handle(self, steps, node, run):
        (kind, value), = node["config"].items()
        for step in steps:
            run.queue_action(step, kind, value)
            step.leave("next")


node_type = Action()
