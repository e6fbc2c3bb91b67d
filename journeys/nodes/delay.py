from datetime import datetime, timedelta

from ..document import DURATION_UNITS, TIME_RE, duration, duration_errors
from .base import NodeType, unknown_keys


class Delay(NodeType):
    type = "delay"
    instant = False

    def validate(self, config, ctx):
        messages = unknown_keys(config, [*DURATION_UNITS, "anchor", "at", "weekdays"])
        has_calendar = "at" in config or "weekdays" in config
        messages += duration_errors({u: config[u] for u in DURATION_UNITS if u in config}, what="the delay",
                                    allow_zero=has_calendar)
        if config.get("anchor", "previous") not in ("previous", "entry"):
            messages.append('"anchor" must be "previous" or "entry".')
        if "at" in config and not (isinstance(config["at"], str) and TIME_RE.match(config["at"])):
            messages.append('"at" must be a local time "HH:MM".')
        weekdays = config.get("weekdays", [1])
        if not (isinstance(weekdays, list) and weekdays and all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays)):
            messages.append('"weekdays" must be a non-empty list of ISO weekdays 1–7 (Monday = 1).')
        return messages

    def handle(self, steps, node, run):
        config = node.get("config") or {}
        arriving = [s for s in steps if not s.resuming]
        # Local times ("at", weekdays) are the member's own when they have a time zone.
        zones = run.local_timezones(arriving) if arriving and ("at" in config or "weekdays" in config) else {}
        for step in steps:
            if step.resuming:
                step.leave("next")
            else:
                tz = zones.get(step.member_id) or run.timezone(step)
                step.hold(due_time(config, arrived_at=step.arrived_at, enrolled_at=step.enrolled_at, tz=tz))


node_type = Delay()



def due_time(config, *, arrived_at, enrolled_at, tz):
    """Base + duration, then the first `at` local time at or after it, then the first allowed weekday."""
    base = enrolled_at if config.get("anchor") == "entry" else arrived_at
    local = (base + duration({u: config[u] for u in DURATION_UNITS if u in config})).astimezone(tz)
    if "at" in config:
        hour, minute = (int(part) for part in config["at"].split(":"))
        candidate = _local(local.date(), hour, minute, tz)
        if candidate < local:
            candidate = _local(local.date() + timedelta(days=1), hour, minute, tz)
        local = candidate
    weekdays = set(config.get("weekdays") or range(1, 8))
    for _ in range(7):
        if local.isoweekday() in weekdays:
            break
        local = _local(local.date() + timedelta(days=1), local.hour, local.minute, tz)
    return local


def _local(day, hour, minute, tz):
    # Built from the wall-clock fields so a DST change keeps the local time the operator asked for.
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
