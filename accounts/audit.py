"""The audit log: services call `record` in the same transaction as the change they describe."""

from .models import AuditEntry


def record(user, action, obj, **details):
    """Append one entry. `user` may be None for system actions (beat, commands)."""
    return AuditEntry.objects.create(
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        details=details,
    )


def history(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related("user")
