"""Test a single member: the exact path through a journey document, with the reason at each decision.

Same sandbox as a forecast: a clone of the member (or a synthetic profile) runs through the real
engine under a simulated clock, scripted events go through the real ingestion, and the clock
moves exactly from one due moment to the next, so every step happens when it would live.
"""

import hashlib
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import clock
from journeys.document import Graph, settings_of, timezone_of
from journeys.forms import duration_text, summary
from journeys.models import Enrollment, GoalConversion, StepLog
from journeys.nodes.split import assign, holdouts
from members.models import Member

from .sandbox import sandbox
from .services import ForecastError

MAX_MOVES = 400  # a journey looping through short delays cannot run the test forever


def clean(payload):
    """Validated test input: {"member"} or {"profile": {attributes, tags, registered_days_ago, timezone}},
    "events": [{"name", "day", "hour"?, "properties"?, "value"?}], "days", "source": draft|live."""
    if not isinstance(payload, dict):
        raise ForecastError("a JSON object is required")
    source = payload.get("source") or "draft"
    if source not in ("draft", "live"):
        raise ForecastError("source: draft or live")
    days = payload.get("days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 180:
        raise ForecastError("days: a whole number between 1 and 180")
    cleaned = {"source": source, "days": days, "events": []}
    if payload.get("member"):
        member = Member.objects.filter(external_id=str(payload["member"])).first()
        if member is None:
            raise ForecastError(f"member: no member {payload['member']!r}")
        cleaned["member"] = member
    else:
        profile = payload.get("profile") or {}
        if not isinstance(profile, dict):
            raise ForecastError("profile: an object is required")
        attributes, tags = profile.get("attributes") or {}, profile.get("tags") or []
        if not isinstance(attributes, dict):
            raise ForecastError("profile.attributes: an object is required")
        if not (isinstance(tags, list) and all(isinstance(t, str) and t for t in tags)):
            raise ForecastError("profile.tags: a list of tag names is required")
        ago = profile.get("registered_days_ago", 0)
        if not isinstance(ago, (int, float)) or isinstance(ago, bool) or not 0 <= ago <= 3650:
            raise ForecastError("profile.registered_days_ago: a number of days between 0 and 3650")
        cleaned["profile"] = {"attributes": attributes, "tags": tags, "registered_days_ago": ago,
                              "timezone": str(profile.get("timezone") or "")}
    events = payload.get("events") or []
    if not isinstance(events, list):
        raise ForecastError("events: a list is required")
    for index, event in enumerate(events):
        if not (isinstance(event, dict) and isinstance(event.get("name"), str) and event["name"]):
            raise ForecastError(f"events[{index}].name: an event name is required")
        offset = event.get("day", 0)
        hour = event.get("hour", 0)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (offset, hour)) or not 0 <= offset <= days:
            raise ForecastError(f"events[{index}].day: a number of days from 0 to {days}")
        if not isinstance(event.get("properties", {}), dict):
            raise ForecastError(f"events[{index}].properties: an object is required")
        cleaned["events"].append({"name": event["name"], "offset": timedelta(days=offset, hours=hour),
                                  "properties": event.get("properties") or {}, "value": event.get("value")})
    return cleaned


def document_for(journey, source):
    if source == "live":
        if journey.current_version is None:
            raise ForecastError("source: this journey has no published version")
        return journey.current_version.document
    return journey.draft


def trace(journey, payload, *, start=None):
    """{"path": [...], "state", "conversions", "start", "end"} for a payload checked by `clean`."""
    start = start or clock.now()
    end = start + timedelta(days=payload["days"])
    document = document_for(journey, payload["source"])
    graph = Graph.of(document)
    tz = timezone_of(document)
    with sandbox(journey, document, start=start) as box:
        if "member" in payload:
            real_id = payload["member"].pk
            clone_id = box.clone_members([real_id])[real_id]
        else:
            profile = payload["profile"]
            member = box.new_member(registered_at=start - timedelta(days=profile["registered_days_ago"]),
                                    attributes=profile["attributes"], timezone=profile["timezone"], tags=profile["tags"])
            real_id = clone_id = member.pk
        splits = _split_choices(journey, graph, real_id)
        external_id = Member.objects.filter(pk=clone_id).values_list("external_id", flat=True).get()
        pending = sorted(((start + e["offset"], e) for e in payload["events"]), key=lambda item: item[0])
        conditions = {}
        with clock.frozen(start):
            box.enroll({clone_id: start}, assignments={clone_id: {k: v["variant"] for k, v in splits.items()}})
            box.advance(start)
        enrollment = Enrollment.objects.get(version=box.version, member_id=clone_id)
        _explain_conditions(graph, enrollment, clone_id, start, conditions)
        for _move in range(MAX_MOVES):
            due = Enrollment.objects.filter(pk=enrollment.pk, status__in=Enrollment.OPEN).values_list("due_at", flat=True).first()
            candidates = [t for t in ([due] if due else []) + ([pending[0][0]] if pending else []) if t <= end]
            if not candidates:
                break
            moment = min(candidates)
            with clock.frozen(moment):
                if pending and pending[0][0] == moment:
                    _, event = pending.pop(0)
                    item = {"member": external_id, "name": event["name"], "properties": event["properties"], "occurred_at": moment}
                    if event["value"] is not None:
                        item["value"] = event["value"]
                    box.ingest([item])
                box.advance(moment)
            _explain_conditions(graph, enrollment, clone_id, moment, conditions)
        result = _path(box, graph, enrollment, splits, conditions, document, tz, end)
    result.update({"start": _local(start, tz), "end": _local(end, tz), "source": payload["source"]})
    return result


def _split_choices(journey, graph, member_id):
    """Per split node the variant the member gets and why: the hash bucket of (journey, node, member)."""
    choices = {}
    for key, node in graph.nodes.items():
        if node.get("type") != "split":
            continue
        variants = (node.get("config") or {}).get("variants") or []
        if len(variants) < 2:
            continue
        digest = hashlib.blake2b(f"{journey.pk}:{key}:{member_id}".encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest, "big") / 2**64 * 100
        variant = assign(variants, journey.pk, key, member_id)
        override = (journey.split_overrides or {}).get(key)
        weights = ", ".join(f"{v['key']} {v['weight']}" for v in variants)
        reason = _("variant %(variant)s: hash bucket %(bucket).1f of 100 (weights %(weights)s)") % {
            "variant": variant, "bucket": bucket, "weights": weights}
        if override and override.get("variant"):
            kept = holdouts(graph, key) if override.get("keep_control") else set()
            if variant not in kept:
                reason = _("variant %(variant)s: promoted winner (hash bucket %(bucket).1f would give %(hashed)s)") % {
                    "variant": override["variant"], "bucket": bucket, "hashed": variant}
                variant = override["variant"]
        choices[key] = {"variant": variant, "reason": reason}
    return choices


def _explain_conditions(graph, enrollment, member_id, now, seen):
    """For condition visits logged since the last look: which rule leaf decided, evaluated at that moment."""
    rows = StepLog.objects.filter(enrollment=enrollment).exclude(visit__in=list(seen)).values_list("visit", "node_key", "branch")
    for visit, node_key, branch in rows:
        node = graph.nodes.get(node_key) or {}
        if node.get("type") != "condition":
            seen[visit] = ""
            continue
        seen[visit] = _condition_reason(node.get("config") or {}, branch, enrollment, member_id, now)


def _condition_reason(config, branch, enrollment, member_id, now):
    from members.models import Segment
    from members.rules import compile_rule

    if "segment" in config:
        rule = Segment.objects.filter(slug=config["segment"]).values_list("rule", flat=True).first()
        if rule is None:
            return _("segment %(segment)s does not exist") % {"segment": config["segment"]}
        prefix = _("segment %(segment)s: ") % {"segment": config["segment"]}
    else:
        rule, prefix = config.get("rule") or {}, ""

    def goal_resolver(key):
        from django.db.models import Q

        return Q(id__in=GoalConversion.objects.filter(enrollment=enrollment, goal_key=key, converted_at__lte=now).values("member_id"))

    def holds(leaf):
        return Member.objects.filter(pk=member_id).filter(compile_rule(leaf, now=now, goal_resolver=goal_resolver)).exists()

    leaves = list(_leaves(rule))
    results = [(leaf, holds(leaf)) for leaf in leaves]
    if branch == "yes":
        deciding = [leaf for leaf, ok in results if ok] or [rule]
        text = _("yes: %(leaf)s holds") % {"leaf": _rule_text(deciding[0])}
    else:
        deciding = [leaf for leaf, ok in results if not ok] or [rule]
        text = _("no: %(leaf)s does not hold") % {"leaf": _rule_text(deciding[0])}
    return prefix + text


def _leaves(rule):
    """The rule's leaves in document order (an `all`/`any`/`not` is not a leaf)."""
    if isinstance(rule, dict):
        for combinator in ("all", "any"):
            if isinstance(rule.get(combinator), list):
                for child in rule[combinator]:
                    yield from _leaves(child)
                return
        if "not" in rule:
            yield rule  # a negation decides as a whole
            return
    yield rule


def _rule_text(rule):
    from journeys.forms import rule_text

    return rule_text(rule)


def _local(moment, tz):
    return timezone.localtime(moment, tz).isoformat() if moment else None


def _path(box, graph, enrollment, splits, conditions, document, tz, end):
    from touchpoints import policies
    from touchpoints.models import Delivery, QuietPeriod

    enrollment.refresh_from_db()
    deliveries = {(d.node_key, d.visit): d for d in Delivery.objects.filter(enrollment=enrollment).select_related("channel", "template")}
    settings = settings_of(document)
    member = Member.objects.get(pk=enrollment.member_id)
    zone = policies.member_zone(member.timezone, settings)
    periods = [policies.Period(p.name, p.start_date, p.end_date, p.resume_at)
               for p in QuietPeriod.objects.filter(end_date__gte=enrollment.enrolled_at.date() - timedelta(days=2))]
    cap = policies.parse_cap(settings.get("frequency_cap"))
    sent_at = []
    path = []
    rows = list(StepLog.objects.filter(enrollment=enrollment).order_by("visit")
                .values_list("visit", "node_key", "arrived_at", "left_at", "branch", "note"))
    for visit, node_key, arrived_at, left_at, branch, note in rows:
        node = graph.nodes.get(node_key) or {"type": "", "config": {}}
        kind = node.get("type")
        reason = note
        if kind == "condition":
            reason = conditions.get(visit) or note
        elif kind == "split":
            reason = splits.get(node_key, {}).get("reason", note)
        elif kind == "wait" and branch in ("matched", "timeout"):
            config = node.get("config") or {}
            reason = (_("%(event)s at %(at)s") if branch == "matched" else _("no %(event)s within %(duration)s: timed out at %(at)s")) % {
                "event": config.get("event"), "duration": duration_text(config.get("timeout") or {}), "at": _local(left_at, tz)}
        elif kind == "delay":
            reason = _("%(summary)s: until %(at)s") % {"summary": summary(node), "at": _local(left_at, tz)}
        elif kind == "send" and not note:
            reason = _send_reason(deliveries.get((node_key, visit)), member, zone, periods, cap, sent_at, settings, policies)
        elif not reason:
            reason = str(summary(node))
        path.append({"node": node_key, "type": kind, "label": node.get("label") or "", "visit": visit,
                     "arrived_at": _local(arrived_at, tz), "left_at": _local(left_at, tz), "branch": branch, "reason": str(reason)})
    state = {"status": enrollment.status, "node": enrollment.node_key, "exit_reason": enrollment.exit_reason,
             "due_at": _local(enrollment.due_at, tz), "waiting_for": enrollment.waiting_for}
    if enrollment.status in Enrollment.OPEN:
        node = graph.nodes.get(enrollment.node_key) or {}
        path.append({"node": enrollment.node_key, "type": node.get("type", ""), "label": node.get("label") or "",
                     "visit": enrollment.visit, "arrived_at": _local(enrollment.node_entered_at, tz), "left_at": None,
                     "branch": "", "reason": _("still here at the end of the test (next step %(at)s)") % {
                         "at": _local(enrollment.due_at, tz) if enrollment.due_at else _("—")}})
    conversions = [{"goal": goal, "at": _local(at, tz)} for goal, at in
                   GoalConversion.objects.filter(enrollment=enrollment).order_by("converted_at").values_list("goal_key", "converted_at")]
    return {"path": path, "state": state, "conversions": conversions}


def _send_reason(delivery, member, zone, periods, cap, sent_at, settings, policies):
    """What the sender would do with this message at its scheduled moment (without sending it)."""
    if delivery is None:
        return _("no message queued")
    what = f"{delivery.channel.key if delivery.channel else 'webhook'} / {delivery.template.slug if delivery.template else '—'}"
    at = delivery.scheduled_at
    if delivery.channel and policies.opted_out(member.opted_out, delivery.channel):
        return _("%(what)s: not sent, the member opted out") % {"what": what}
    holiday = policies.holiday_end(at, zone, periods)
    deferred = ""
    if holiday:
        at = holiday[0]
        deferred = _(", deferred by %(name)s until %(at)s") % {"name": holiday[1], "at": timezone.localtime(at, zone).isoformat()}
    quiet = policies.quiet_hours_end(at, zone, settings.get("quiet_hours"))
    if quiet:
        at = quiet
        deferred += _(", deferred by quiet hours until %(at)s") % {"at": timezone.localtime(at, zone).isoformat()}
    if cap:
        limit, hours = cap
        if sum(1 for moment in sent_at if moment >= at - timedelta(hours=hours)) >= limit:
            return _("%(what)s: capped (frequency cap %(limit)s per %(hours)s h)%(deferred)s") % {
                "what": what, "limit": limit, "hours": hours, "deferred": deferred}
    sent_at.append(at)
    return _("%(what)s: would be sent at %(at)s%(deferred)s") % {"what": what, "at": timezone.localtime(at, zone).isoformat(),
                                                                 "deferred": deferred}
