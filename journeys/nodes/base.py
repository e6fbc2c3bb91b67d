"""What every node type provides: config schema, branch names and a batch handler.

A handler receives the whole group of steps at one node of one version and decides, for each
step, `leave(branch)`, `hold(due_at)` or `finish(...)`. It never writes to the database: side
effects go into the run's effect lists, which journeys/engine.py writes in the step's transaction.
"""


class NodeType:
    type = ""
    # An instant node never holds a member; a cycle made only of instant nodes is refused.
    instant = True

    def branches(self, config):
        return ["next"]

    def validate(self, config, ctx):
        """Messages (without the node key) for a config that fails this type's schema."""
        return []

    def handle(self, steps, node, run):
        """Arrival (step.resuming False) or a due hold expiring (step.resuming True)."""
        for step in steps:
            step.leave("next")


def unknown_keys(config, allowed):
    extra = set(config) - set(allowed)
    return [f"unknown config keys: {', '.join(sorted(extra))} (allowed: {', '.join(allowed)})."] if extra else []
