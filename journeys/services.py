"""Writes to journeys: drafts, publishing, status changes and manual enrolment.

Views, the API and the canvas call these; enrollment state itself is changed only by
journeys/engine.py, which these functions call for enrolment and version migration.
"""

import copy

from django.db import transaction
from django.db.models import Count, Max

from accounts import audit

from . import clock, document as doc
from .models import Enrollment, Journey, JourneyVersion


class StaleDraft(Exception):
    """Someone saved the draft since this editor loaded it."""

    def __init__(self, current_revision):
        self.current_revision = current_revision
        super().__init__(f"The draft was changed by someone else (now at revision {current_revision}); reload it and try again.")


class DocumentInvalid(Exception):
    """The document cannot be saved or published; `errors` is `[{"node": KEY or None, "message": …}]`."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(e["message"] for e in errors))


class JourneyStateError(Exception):
    """The journey's status does not allow this change (e.g. pausing a draft)."""


def _checked_shape(document):
    try:
        doc.check_shape(document)
    except doc.DocumentError as exc:
        raise DocumentInvalid([doc.error(None, str(exc))]) from exc
    return copy.deepcopy(document)


def journey_create(*, document, user=None):
    """A new draft journey. Only the shape is checked: a draft may be incomplete."""
    document = _checked_shape(document)
    with transaction.atomic():
        journey = Journey.objects.create(
            name=(document.get("name") or "").strip()[:200] or "Untitled journey",
            description=document.get("description") or "",
            draft=document,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        audit.record(user, "created", journey)
    return journey


def journey_update_draft(journey, *, document, user=None, base_revision=None):
    """Replace the draft; refuse with StaleDraft when the editor's base revision is not the current one."""
    document = _checked_shape(document)
    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        if base_revision is not None and int(base_revision) != locked.draft_revision:
            raise StaleDraft(locked.draft_revision)
        locked.draft = document
        locked.name = (document.get("name") or "").strip()[:200] or locked.name
        locked.description = document.get("description") or ""
        locked.draft_revision += 1
        locked.save(update_fields=["draft", "name", "description", "draft_revision", "updated_at"])
        audit.record_edit(user, locked, revision=locked.draft_revision)
    journey.refresh_from_db()
    return journey


def validate_for_publish(document):
    """Every SPEC "Validation on publish" rule, with channels and templates checked against the database."""
    from touchpoints.models import Channel, Template

    return doc.validate(
        document,
        channels=set(Channel.objects.values_list("key", flat=True)),
        templates=dict(Template.objects.values_list("slug", "channel__key")),
    )


def journey_publish(journey, *, user=None, migrate=False, mapping=None):
    """Freeze the draft as a new immutable version and make the journey live.

    With `migrate`, open enrolments of earlier versions move to the new one: kept keys stay,
    removed keys follow `mapping` ({old_key: new_key}); unmapped removed keys end the enrolment.
    """
    from . import engine

    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        if locked.status == Journey.Status.ARCHIVED:
            raise JourneyStateError("An archived journey cannot be published.")
        document = copy.deepcopy(locked.draft)
        errors = validate_for_publish(document)
        if migrate:
            errors += _mapping_errors(document, mapping or {})
        if errors:
            raise DocumentInvalid(errors)
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = JourneyVersion.objects.create(
            journey=locked, number=number, document=document, published_at=clock.now(),
            published_by=user if user is not None and user.is_authenticated else None,
        )
        locked.current_version = version
        locked.status = Journey.Status.LIVE
        locked.save(update_fields=["current_version", "status", "updated_at"])
        if migrate:
            engine.migrate(locked, version, mapping or {})
        audit.record(user, "published", locked, version=number, migrate=bool(migrate))
    journey.refresh_from_db()
    return version


def _mapping_errors(document, mapping):
    if not isinstance(mapping, dict):
        return [doc.error(None, "The migration mapping must be an object {old node key: new node key}.")]
    keys = {n.get("key") for n in document.get("nodes", []) if isinstance(n, dict)}
    return [doc.error(old, f'Migration maps "{old}" to {new!r}, which is not a node of the new version.')
            for old, new in mapping.items() if new is not None and new not in keys]


def migration_preview(journey, *, document=None, mapping=None):
    """How many open members at each node would move where if `document` (default: the draft) were published with migration."""
    document = journey.draft if document is None else document
    mapping = mapping or {}
    keys = {n.get("key") for n in document.get("nodes", []) if isinstance(n, dict)}
    counts = (Enrollment.objects.filter(journey=journey, status__in=Enrollment.OPEN)
              .values("node_key").annotate(n=Count("id")).order_by("node_key"))
    return [{"from": row["node_key"], "to": row["node_key"] if row["node_key"] in keys else mapping.get(row["node_key"]),
             "count": row["n"]} for row in counts]


def _set_status(journey, new_status, *, allowed_from, message, user, action):
    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        if locked.status not in allowed_from:
            raise JourneyStateError(message.format(status=locked.get_status_display()))
        locked.status = new_status
        locked.save(update_fields=["status", "updated_at"])
        audit.record(user, action, locked)
    journey.refresh_from_db()
    return journey


def journey_pause(journey, *, user=None):
    """Stop all movement and sending; nobody is lost."""
    return _set_status(journey, Journey.Status.PAUSED, allowed_from=[Journey.Status.LIVE],
                       message="Only a live journey can be paused (this one is {status}).", user=user, action="paused")


def journey_resume(journey, *, user=None):
    return _set_status(journey, Journey.Status.LIVE, allowed_from=[Journey.Status.PAUSED],
                       message="Only a paused journey can be resumed (this one is {status}).", user=user, action="resumed")


def journey_archive(journey, *, user=None):
    """Retire the journey: nothing moves or enrols any more; its history and reports stay."""
    return _set_status(journey, Journey.Status.ARCHIVED,
                       allowed_from=[Journey.Status.DRAFT, Journey.Status.LIVE, Journey.Status.PAUSED],
                       message="This journey is already {status}.", user=user, action="archived")


def enroll_members(journey, external_ids, *, at=None):
    """Enrol members by external id into the live version now (or at `at`); returns how many were enrolled.

    Members already in the journey, or whose re-entry setting forbids it, are skipped.
    """
    from members.models import Member

    from . import engine, entry

    if journey.status != Journey.Status.LIVE or journey.current_version_id is None:
        raise JourneyStateError("Members can only be enrolled into a live journey.")
    at = at or clock.now()
    member_ids = list(Member.objects.filter(external_id__in=set(external_ids)).values_list("id", flat=True))
    with transaction.atomic():
        allowed = entry.reentry_allowed(journey.current_version, {m: at for m in member_ids})
        return engine.enroll(journey.current_version, allowed)
