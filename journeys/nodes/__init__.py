"""The node types of SPEC §2, one module each; REGISTRY maps a document's `type` to its handler."""

from . import action, condition, delay, entry, exit, send, split, wait

REGISTRY = {module.node_type.type: module.node_type for module in (entry, delay, wait, condition, split, send, action, exit)}
