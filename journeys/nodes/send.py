from .base import NodeType, unknown_keys


class Send(NodeType):
    type = "send"

    def validate(self, config, ctx):
        messages = unknown_keys(config, ["channel", "template"])
        channel, template = config.get("channel"), config.get("template")
        if not (isinstance(channel, str) and channel):
            messages.append('"channel" must be a channel key.')
        if not (isinstance(template, str) and template):
            messages.append('"template" must be a template slug.')
        if messages or ctx.channels is None:
            return messages
        if channel not in ctx.channels:
            messages.append(f'unknown channel "{channel}".')
        if template not in ctx.templates:
            messages.append(f'unknown template "{template}".')
        elif channel in ctx.channels and ctx.templates[template] != channel:
            messages.append(f'template "{template}" belongs to channel "{ctx.templates[template]}", not "{channel}".')
        return messages

    def handle(self, steps, node, run):
        config = node["config"]
        for step in steps:
            run.queue_message(step, config["channel"], config["template"])
            step.leave("next")


node_type = Send()
