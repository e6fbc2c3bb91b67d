"""Read model of one member: what the member page and GET /api/v1/members/{external_id} show."""

from django.db.models import Prefetch

from journeys.models import Enrollment, StepLog
from touchpoints.models import Delivery

from .segments import member_segments

RECENT = 50


def enrollments_of(member):
    """The member's enrolments, newest first, each with its trace (StepLog rows in visit order)."""
    return list(
        Enrollment.objects.filter(member=member)
        .select_related("journey", "version")
        .prefetch_related(Prefetch("steps", queryset=StepLog.objects.order_by("visit")))
        .order_by("-enrolled_at")
    )


def recent_events(member, limit=RECENT):
    return list(member.events.order_by("-occurred_at", "-pk")[:limit])


def recent_deliveries(member, limit=RECENT):
    return list(
        Delivery.objects.filter(member=member).select_related("journey", "channel", "template").order_by("-created_at", "-pk")[:limit]
    )


def _number(value):
    return None if value is None else float(value)


def member_profile(member):
    """A JSON-ready dict (the API answer)."""
    return {
        "external_id": member.external_id,
        "name": member.name,
        "phone": member.phone,
        "email": member.email,
        "wechat_openid": member.wechat_openid,
        "miniprogram_openid": member.miniprogram_openid,
        "timezone": member.timezone,
        "registered_at": member.registered_at,
        "points": member.points,
        "attributes": member.attributes,
        "tags": list(member.tags.order_by("name").values_list("name", flat=True)),
        "rfm_group": member.rfm_group or None,
        "rfm_scores": member.rfm_scores or None,
        "lifecycle_stage": member.lifecycle_stage or None,
        "segments": list(member_segments(member).values_list("slug", flat=True)),
        "opted_out": member.opted_out,
        "enrollments": [
            {
                "id": e.pk,
                "journey": {"id": e.journey_id, "name": e.journey.name},
                "version": e.version.number,
                "status": e.status,
                "node": e.node_key,
                "enrolled_at": e.enrolled_at,
                "finished_at": e.finished_at,
                "exit_reason": e.exit_reason,
                "trace": [
                    {"node": s.node_key, "visit": s.visit, "arrived_at": s.arrived_at, "left_at": s.left_at,
                     "branch": s.branch, "note": s.note}
                    for s in e.steps.all()
                ],
            }
            for e in enrollments_of(member)
        ],
        "events": [
            {"id": ev.idempotency_key or str(ev.pk), "name": ev.name, "properties": ev.properties, "value": _number(ev.value),
             "occurred_at": ev.occurred_at}
            for ev in recent_events(member)
        ],
        "deliveries": [
            {"id": d.pk, "journey": d.journey_id, "node": d.node_key, "channel": d.channel.key if d.channel else None,
             "template": d.template.slug if d.template else None, "status": d.status, "reason": d.reason,
             "scheduled_at": d.scheduled_at, "sent_at": d.sent_at}
            for d in recent_deliveries(member)
        ],
    }
