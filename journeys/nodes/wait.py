from ..document import duration, duration_errors, event_where_errors
from .base import NodeType, unknown_keys


class Wait(NodeType):
    type = "wait"
    instant = False

    def branches(self, config):
        return ["matched", "timeout"]

    def validate(self, config, ctx):
        messages = unknown_keys(config, ["event", "where", "timeout"])
        if not (isinstance(config.get("event"), str) and config["event"]):
            messages.append('"event" must be an event name.')
        if "timeout" not in config:
            messages.append('"timeout" is required, e.g. {"days": 5}.')
        else:
            messages += duration_errors(config["timeout"], what='"timeout"')
        if "where" in config:
            messages.extend(f"where: {m}" for m in event_where_errors(config["where"]))
        return messages

    def handle(self, steps, node, run):
        config = node.get("config") or {}
        timeout = duration(config["timeout"])
        # Only events after the arrival count: the event that led here must not also satisfy the wait.
        firsts = run.first_events(steps, config["event"], config.get("where"),
                                  until={s.id: s.arrived_at + timeout for s in steps})
        for step in steps:
            deadline = step.arrived_at + timeout
            first = firsts.get(step.id)
            if first is not None and first <= step.time:
                step.leave("matched", f"{config['event']} at {first.isoformat()}")
            elif step.time >= deadline:
                step.leave("timeout", f"no {config['event']} within {config['timeout']}")
            else:
                step.hold(min(first or deadline, deadline), waiting_for=config["event"])


node_type = Wait()
