from ..document import event_where_errors, is_number, rule_errors
from .base import NodeType, unknown_keys

TRIGGERS = ("event", "segment", "inactive", "manual")


def trigger_of(config):
    found = [t for t in TRIGGERS if t in config]
    return found[0] if len(found) == 1 else None


class Entry(NodeType):
    """Enrolment happens in journeys/entry.py; arriving here just moves the member on."""

    type = "entry"

    def validate(self, config, ctx):
        found = [t for t in TRIGGERS if t in config]
        if len(found) != 1:
            return ["needs exactly one trigger: event, segment, inactive or manual."]
        trigger = found[0]
        messages = unknown_keys(config, [trigger, "where"] if trigger in ("event", "inactive") else [trigger])
        if trigger == "event" and not (isinstance(config["event"], str) and config["event"]):
            messages.append('"event" must be an event name.')
        if trigger == "event" and "where" in config:
            messages.extend(f"where: {m}" for m in event_where_errors(config["where"]))
        if trigger == "segment" and not (isinstance(config["segment"], str) and config["segment"]):
            messages.append('"segment" must be a segment slug.')
        if trigger == "inactive":
            inactive = config["inactive"]
            if not (isinstance(inactive, dict) and isinstance(inactive.get("event"), str) and inactive["event"]
                    and is_number(inactive.get("days")) and inactive["days"] > 0):
                messages.append('"inactive" must be {"event": NAME, "days": N > 0}.')
            if "where" in config:
                messages.extend(f"where: {m}" for m in rule_errors(config["where"]))
        if trigger == "manual" and config["manual"] is not True:
            messages.append('"manual" must be true.')
        return messages


node_type = Entry()
