from ..document import rule_errors
from .base import NodeType, unknown_keys


class Condition(NodeType):
    type = "condition"

    def branches(self, config):
        return ["yes", "no"]

    def validate(self, config, ctx):
        found = [k for k in ("rule", "segment") if k in config]
        if len(found) != 1:
            return ['needs either "rule" or "segment".']
        messages = unknown_keys(config, found)
        if "segment" in config:
            if not (isinstance(config["segment"], str) and config["segment"]):
                messages.append('"segment" must be a segment slug.')
            return messages
        messages.extend(f"rule: {m}" for m in rule_errors(config["rule"], allow_goal=True))
        unknown_goals = sorted(_goal_keys(config["rule"]) - ctx.goals)
        if unknown_goals and not messages:
            messages.append(f"rule names unknown goal(s): {', '.join(unknown_goals)} (define them under settings.goals).")
        return messages

    def handle(self, steps, node, run):
        config = node.get("config") or {}
        if "segment" in config:
            rule = run.segment_rule(config["segment"])
            if rule is None:
                for step in steps:
                    step.leave("no", f"segment {config['segment']} does not exist")
                return
        else:
            rule = config["rule"]
        matching = run.members_matching(rule, steps)
        for step in steps:
            step.leave("yes" if step.member_id in matching else "no")


def _goal_keys(rule):
    if isinstance(rule, dict):
        if "goal" in rule:
            return {rule["goal"]}
        children = rule.get("all") or rule.get("any") or ([rule["not"]] if "not" in rule else [])
        return set().union(*(_goal_keys(child) for child in children)) if isinstance(children, list) else set()
    return set()


node_type = Condition()
