"""Touchpoints pages: channels, templates (live preview), deliveries, the holiday calendar.

Thin: forms parse, services write, templates present. Reads need a viewer; channel writes an
admin, everything else an editor (checked here, in the view).
"""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import role_required
from accounts.roles import ADMIN, EDITOR, VIEWER, has_role
from members.models import Member

from . import services
from .channels.registry import BACKENDS
from .forms import (ChannelForm, DeliveryFilterForm, PreviewForm, QuietPeriodForm, TemplateForm, TestSendForm,
                    channel_initial, template_initial)
from .models import Channel, Delivery, QuietPeriod, Template

PAGE_SIZE = 50
PREVIEW_CHECKED_FIELDS = ("channel", "subject", "body", "fields")
VOLUME_DAYS = 14


def _locked(form, identity, instance, can_edit):
    """Disables the identity field of an existing row (journeys refer to it) and everything for readers.

    Done before validation: a disabled field takes its initial value, not the (absent) POSTed one.
    """
    if instance is not None:
        form.fields[identity].disabled = True
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return form


def _apply_errors(form, errors):
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


# --- channels ---------------------------------------------------------------------------------

@role_required()
def channel_list(request):
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - datetime.timedelta(days=VOLUME_DAYS - 1)
    channels = list(Channel.objects.annotate(
        template_count=Count("templates", distinct=True),
        queued=Count("deliveries", filter=Q(deliveries__status__in=("queued", "deferred")), distinct=True),
    ))
    sent = {
        row["channel_id"]: row
        for row in Delivery.objects.filter(sent_at__gte=since, channel__isnull=False).values("channel_id").annotate(
            today=Count("id", filter=Q(sent_at__gte=today)), today_cost=Sum("cost", filter=Q(sent_at__gte=today)),
            period=Count("id"), period_cost=Sum("cost"),
        )
    }
    for channel in channels:
        row = sent.get(channel.id, {})
        channel.sent_today = row.get("today", 0)
        channel.cost_today = row.get("today_cost") or Decimal(0)
        channel.sent_period = row.get("period", 0)
        channel.cost_period = row.get("period_cost") or Decimal(0)
        channel.backlog_cost = channel.queued * channel.cost_per_message
    volume = services.daily_volume(days=VOLUME_DAYS)
    days = [(today - datetime.timedelta(days=i)).date() for i in range(VOLUME_DAYS)]
    cells = {(row["day"], row["channel__key"]): row for row in volume}
    peak = max((row["count"] for row in volume), default=0)
    grid = [
        {"day": day, "cells": [cells.get((day, c.key)) for c in channels],
         "total": sum(r["count"] for r in volume if r["day"] == day),
         "cost": sum((r["cost"] or 0) for r in volume if r["day"] == day)}
        for day in days
    ]
    totals = {
        "today": sum(c.sent_today for c in channels), "cost_today": sum(c.cost_today for c in channels),
        "period": sum(c.sent_period for c in channels), "cost_period": sum(c.cost_period for c in channels),
        "queued": sum(c.queued for c in channels),
    }
    return render(request, "touchpoints/channels.html", {
        "channels": channels, "grid": grid, "peak": peak or 1, "totals": totals, "volume_days": VOLUME_DAYS,
        "tab": "channels", "can_edit": has_role(request.user, ADMIN),
    })


@role_required(write=ADMIN)
def channel_edit(request, key=None):
    channel = get_object_or_404(Channel, key=key) if key else None
    initial = channel_initial(channel, services.public_config(channel)) if channel else None
    form = _locked(ChannelForm(request.POST if request.method == "POST" else None, initial=initial), "key", channel,
                   has_role(request.user, ADMIN))
    if form.is_bound and form.is_valid():
        try:
            saved = services.save_channel(form.service_data(), instance=channel, user=request.user)
        except services.TouchpointError as exc:
            _apply_errors(form, exc.errors)
        else:
            messages.success(request, _("Channel “%(key)s” saved.") % {"key": saved.key})
            return redirect("touchpoints:channel", key=saved.key)
    return render(request, "touchpoints/channel_form.html", {
        "form": form, "channel": channel, "tab": "channels", "can_edit": has_role(request.user, ADMIN),
        "credentials_set": services.credentials_set(channel) if channel else [],
        "backends": [{"name": n, "kinds": sorted(b.kinds) if b.kinds else None,
                      "fields": [f.__dict__ for f in b.config_fields]} for n, b in BACKENDS.items()
                     if channel is None or b.kinds is None or channel.kind in b.kinds],
        "test_form": TestSendForm(initial={"member": (Member.objects.order_by("-id").values_list("external_id", flat=True).first() or "")}),
    })


@role_required(read=ADMIN, write=ADMIN)
def channel_test(request, key):
    channel = get_object_or_404(Channel, key=key)
    if request.method != "POST":
        return redirect("touchpoints:channel", key=key)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Test not sent: %(errors)s") % {"errors": " ".join(e for errs in form.errors.values() for e in errs)})
        return redirect("touchpoints:channel", key=key)
    member = Member.objects.filter(external_id=form.cleaned_data["member"]).first()
    if member is None:
        messages.error(request, _("Test not sent: no member with the external id “%(id)s”.") % {"id": form.cleaned_data["member"]})
        return redirect("touchpoints:channel", key=key)
    try:
        result = services.send_test(channel, member, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"])
    except services.TouchpointError as exc:
        messages.error(request, _("Test not sent: %(error)s") % {"error": "; ".join(exc.errors.values())})
    else:
        messages.success(request, _("Test message sent to %(member)s (provider id: %(id)s).")
                         % {"member": member.external_id, "id": result.provider_message_id or "—"})
    return redirect("touchpoints:channel", key=key)


# --- templates --------------------------------------------------------------------------------

@role_required()
def template_list(request):
    templates = Template.objects.select_related("channel").annotate(
        sent=Count("deliveries", filter=Q(deliveries__status__in=("sent", "delivered")))
    )
    return render(request, "touchpoints/templates.html", {
        "templates": templates, "tab": "templates", "can_edit": has_role(request.user, EDITOR),
    })


def _preview_context(channel, data, member_id):
    member = services.member_for_preview(member_id)
    if channel is None:
        return {"preview_error": _("Choose a channel to preview.")}
    if member is None:
        return {"preview_error": _("There are no members to preview with yet.")}
    rendered, report = services.preview(channel, data.get("subject", ""), data.get("body", ""), data.get("fields") or {}, member)
    return {"rendered": rendered, "report": report, "preview_member": member, "preview_channel": channel}


@role_required()
def template_edit(request, slug=None):
    template = get_object_or_404(Template.objects.select_related("channel"), slug=slug) if slug else None
    can_edit = has_role(request.user, EDITOR)
    preview = {"preview_error": _("Edit the template to see a preview.")}
    initial = template_initial(template) if template else {"channel": request.GET.get("channel")}
    form = _locked(TemplateForm(request.POST if request.method == "POST" else None, initial=initial), "slug", template, can_edit)
    if form.is_bound and form.is_valid():
        try:
            saved = services.save_template(form.cleaned_data, instance=template, user=request.user)
        except services.TouchpointError as exc:
            _apply_errors(form, exc.errors)
        else:
            messages.success(request, _("Template “%(slug)s” saved.") % {"slug": saved.slug})
            return redirect("touchpoints:template", slug=saved.slug)
    elif template:
        preview = _preview_context(template.channel, {"subject": template.subject, "body": template.body,
                                                      "fields": template.fields}, request.GET.get("member"))
    members = Member.objects.order_by("-id").values_list("external_id", "name")[:50]
    return render(request, "touchpoints/template_form.html", {
        "form": form, "template": template, "tab": "templates", "can_edit": can_edit, "members": members,
        "preview_member_id": request.GET.get("member", ""), **preview,
    })


@role_required(write=VIEWER)  # a POST that writes nothing: viewers may preview too
def template_preview(request):
    """The editor's live preview (htmx): rendered text plus per-field checks, swapped in place."""
    form = PreviewForm(request.POST or None)
    context = {"form_errors": {}}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context.update(_preview_context(data["channel"], data, data.get("member")))
        report = context.get("report")
        context["form_errors"] = report.errors if report else {}
    elif request.method == "POST":
        context["form_errors"] = {k: list(v) for k, v in form.errors.items()}
        context["preview_error"] = _("Fix the highlighted fields to see a preview.")
    else:
        context["preview_error"] = _("Edit the template to see a preview.")
    # The checks land at their fields through out-of-band swaps (the slug is only checked on save).
    context["oob_errors"] = [(name, context["form_errors"].get(name, [])) for name in PREVIEW_CHECKED_FIELDS]
    return render(request, "touchpoints/template_form.html#preview", context)


# --- deliveries -------------------------------------------------------------------------------

@role_required()
def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None)
    qs = Delivery.objects.select_related("member", "channel", "template", "journey").order_by("-created_at", "-id")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["member"]:
            qs = qs.filter(member__external_id=data["member"])
        if data["journey"]:
            qs = qs.filter(journey=data["journey"])
        if data["node"]:
            qs = qs.filter(node_key=data["node"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["channel"]:
            qs = qs.filter(channel=data["channel"])
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            qs = qs.filter(created_at__gte=datetime.datetime.combine(data["date_from"], datetime.time(), zone))
        if data["date_to"]:
            qs = qs.filter(created_at__lt=datetime.datetime.combine(data["date_to"] + datetime.timedelta(days=1), datetime.time(), zone))
    elif form.is_bound:
        qs = qs.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id"))) if form.is_bound else \
        dict(Delivery.objects.values_list("status").annotate(n=Count("id")))
    context = {"form": form, "page": page, "query": query.urlencode(), "tab": "deliveries",
               "status_counts": [(value, label, counts.get(value, 0)) for value, label in Delivery.Status.choices]}
    if request.htmx and request.htmx.target == "delivery-results":
        return render(request, "touchpoints/deliveries.html#results", context)
    return render(request, "touchpoints/deliveries.html", context)


# --- calendar ---------------------------------------------------------------------------------

@role_required(write=EDITOR)
def calendar(request):
    if request.method == "POST":
        form = QuietPeriodForm(request.POST)
        if form.is_valid():
            try:
                period = services.save_quiet_period(form.cleaned_data)
            except services.TouchpointError as exc:
                _apply_errors(form, exc.errors)
            else:
                messages.success(request, _("“%(name)s” added to the calendar.") % {"name": period.name})
                return redirect("touchpoints:calendar")
    else:
        form = QuietPeriodForm()
    today = timezone.localdate()
    periods = list(QuietPeriod.objects.all())
    for period in periods:
        period.days = (period.end_date - period.start_date).days + 1
    return render(request, "touchpoints/calendar.html", {
        "form": form, "upcoming": [p for p in periods if p.end_date >= today],
        "past": [p for p in periods if p.end_date < today], "today": today, "tab": "calendar",
        "can_edit": has_role(request.user, EDITOR),
    })


@role_required(write=EDITOR)
def calendar_delete(request, pk):
    period = get_object_or_404(QuietPeriod, pk=pk)
    if request.method == "POST":
        services.delete_quiet_period(period)
        messages.success(request, _("“%(name)s” removed from the calendar.") % {"name": period.name})
    return redirect("touchpoints:calendar")
