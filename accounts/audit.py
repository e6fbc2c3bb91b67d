"""The audit log: services call `record` in the same transaction as the change they describe."""

from datetime import timedelta

from django.utils import timezone

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


# The canvas autosaves every few seconds while someone edits: one "changed" entry per editing
# session (same user, same object, no gap longer than this) keeps the log readable.
EDIT_SESSION = timedelta(minutes=15)


def record_edit(user, obj, **details):
    """A "changed" entry, folded into the same user's previous one for `obj` if that is recent."""
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    latest = history(obj).filter(action="changed").first()
    if (latest is not None and latest.user_id == (user.pk if user else None)
            and timezone.now() - latest.at < EDIT_SESSION):
        latest.details = {**latest.details, **details, "saves": latest.details.get("saves", 1) + 1}
        latest.at = timezone.now()
        AuditEntry.objects.filter(pk=latest.pk).update(details=latest.details, at=latest.at)
        return latest
    return record(user, "changed", obj, saves=1, **details)
