"""Member pages: list, member profile, tags, segments with the rule builder, CSV imports.

Views stay thin: they parse forms and call members.services / segments / imports.
"""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from accounts.roles import EDITOR, VIEWER, has_role
from journeys import clock

from . import imports, services
from .forms import ImportForm, MemberFilterForm, SegmentForm, TagNameForm
from .models import Event, ImportJob, LifecycleStage, Member, RFMGroup, Segment, Tag
from .profile import enrollments_of, recent_deliveries, recent_events
from .rules import FIXED_FIELDS, OPS, RuleError, compile_rule
from .segments import SegmentInvalid, live_count, member_segments, preview, save_segment

PER_PAGE = 25
RULE_VOCABULARY_LIMIT = 200
VOCABULARY_SAMPLE = 500


def _can_edit(request):
    return has_role(request.user, EDITOR)


def _partial(request, template, name, context):
    """The named partial for an htmx request, else the whole page."""
    if request.htmx:
        return render(request, f"{template}#{name}", context)
    return render(request, template, context)


# --- Member list --------------------------------------------------------------------------------

def filtered_members(form, *, now):
    members = Member.objects.all()
    if not form.is_valid():
        return members, None
    data = form.cleaned_data
    query = data["q"].strip()
    if query:
        members = members.filter(Q(external_id__icontains=query) | Q(name__icontains=query) | Q(phone__icontains=query)
                                 | Q(email__icontains=query))
    if data["tag"]:
        members = members.filter(membertag__tag=data["tag"])
    if data["rfm"]:
        members = members.filter(rfm_group=data["rfm"])
    if data["stage"]:
        members = members.filter(lifecycle_stage=data["stage"])
    segment_error = None
    if data["segment"]:
        try:
            members = members.filter(compile_rule(data["segment"].rule, now=now))
        except RuleError as exc:
            segment_error = exc.localized()
    return members, segment_error


@role_required()
def member_list(request):
    form = MemberFilterForm(request.GET or None)
    members, segment_error = filtered_members(form, now=clock.now())
    page = Paginator(members.prefetch_related("tags").order_by("-pk"), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "segment_error": segment_error,
               "can_edit": _can_edit(request), "total": Member.objects.count()}
    return _partial(request, "members/list.html", "results", context)


@role_required()
@require_POST
def recompute(request):
    from .tasks import recompute_scores

    transaction.on_commit(recompute_scores.delay)
    messages.success(request, _("RFM groups and lifecycle stages are being recomputed; refresh in a moment."))
    return redirect("members:list")


# --- Member page ------------------------------------------------------------------------------

def _member(external_id):
    return get_object_or_404(Member, external_id=external_id)


def _tags_context(request, member, error=None):
    return {"member": member, "member_tags": list(member.tags.order_by("name")), "all_tags": Tag.objects.order_by("name"),
            "tag_error": error, "can_edit": _can_edit(request)}


@role_required()
def member_detail(request, external_id):
    member = _member(external_id)
    context = {
        **_tags_context(request, member),
        "segments": member_segments(member),
        "events": recent_events(member),
        "event_count": member.events.count(),
        "enrollments": enrollments_of(member),
        "deliveries": recent_deliveries(member),
        "attributes": sorted(member.attributes.items()),
    }
    return render(request, "members/detail.html", context)


@role_required()
@require_POST
def member_tags(request, external_id):
    member = _member(external_id)
    error = None
    if "remove" in request.POST:
        services.remove_tag(member, request.POST["remove"])
    else:
        try:
            services.add_tag(member, request.POST.get("name", ""))
        except ValueError:
            error = _("A tag name has 1–64 characters.")
    if request.htmx:
        return render(request, "members/detail.html#tags", _tags_context(request, member, error))
    if error:
        messages.error(request, error)
    return redirect("members:detail", external_id=member.external_id)


# --- Tags -------------------------------------------------------------------------------------

@role_required()
def tag_list(request):
    form = TagNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if Tag.objects.filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", _("This tag already exists."))
        else:
            services.create_tag(form.cleaned_data["name"], form.cleaned_data["description"])
            messages.success(request, _("Tag created."))
            return redirect("members:tags")
    tags = Tag.objects.annotate(member_count=Count("members")).order_by("name")
    return render(request, "members/tags.html", {"form": form, "tags": tags, "can_edit": _can_edit(request)})


@role_required()
@require_POST
def tag_delete(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    services.delete_tag(tag)
    messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
    return redirect("members:tags")


# --- Segments ---------------------------------------------------------------------------------

@role_required()
def segment_list(request):
    # Live counts arrive one per row (segment_count) so a slow rule never holds up the page.
    return render(request, "members/segments.html", {"segments": Segment.objects.all(), "can_edit": _can_edit(request)})


@role_required()
def segment_count(request, slug):
    segment = get_object_or_404(Segment, slug=slug)
    try:
        segment.live_count = live_count(segment, now=clock.now())
    except RuleError:
        segment.live_count = None
    return render(request, "members/segments.html#count", {"s": segment})


def rule_vocabulary():
    """What the rule editor offers in its pickers; free text stays possible.

    Attribute keys and event names come from the newest rows only, so the page stays fast with
    millions of members and events.
    """
    attribute_keys, property_keys, event_names = set(), set(), set()
    for attributes in Member.objects.order_by("-pk").values_list("attributes", flat=True)[:VOCABULARY_SAMPLE]:
        if isinstance(attributes, dict):
            attribute_keys.update(attributes)
    for name, properties in Event.objects.order_by("-pk").values_list("name", "properties")[:VOCABULARY_SAMPLE * 10]:
        event_names.add(name)
        if isinstance(properties, dict):
            property_keys.update(properties)
    return {
        "ops": list(OPS),
        "fields": list(FIXED_FIELDS),
        "attributes": sorted(attribute_keys)[:RULE_VOCABULARY_LIMIT],
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:RULE_VOCABULARY_LIMIT]),
        "events": sorted(event_names),
        "properties": sorted(property_keys)[:RULE_VOCABULARY_LIMIT],
        "rfm": [{"value": v, "label": str(label)} for v, label in RFMGroup.choices],
        "stages": [{"value": v, "label": str(label)} for v, label in LifecycleStage.choices],
        "labels": editor_labels(),
    }


def editor_labels():
    return {
        "modes": {"all": _("All of"), "any": _("Any of"), "none": _("None of")},
        "of_conditions": _("these conditions"), "of_properties": _("these event properties"),
        "kinds": {"attr": _("Attribute"), "tag": _("Has tag"), "event": _("Did event"), "last_event": _("No event for"),
                  "rfm": _("RFM group"), "stage": _("Lifecycle stage"), "group": _("Group of conditions"), "property": _("Property")},
        "ops": {"eq": _("is"), "ne": _("is not"), "in": _("is one of"), "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
                "contains": _("contains"), "exists": _("is set")},
        "count_ops": {"gte": _("at least"), "gt": _("more than"), "eq": _("exactly"), "lte": _("at most"), "lt": _("fewer than")},
        "add": _("Add condition"), "add_property": _("Add property filter"), "remove": _("Remove"), "group": _("Group type"), "empty": _("No conditions yet: add one below."),
        "attribute": _("attribute"), "property_placeholder": _("property, or value"), "value": pgettext("rule editor placeholder", "value"), "operator": _("operator"),
        "list_placeholder": _("a, b, c"), "yes": _("yes"), "no": _("no"), "event": _("event name"), "count": _("how many"),
        "times": _("times"), "times_in_last": _("times in the last"), "within_days": _("days (empty: ever)"), "days": _("days"),
        "where": _("where…"), "for_more_than": _("for more than"),
        "start_hint": _("Add a first condition to count members."),
    }


@role_required()
def segment_edit(request, slug=None):
    segment = get_object_or_404(Segment, slug=slug) if slug else None
    initial = {"name": segment.name, "slug": segment.slug, "description": segment.description,
               "rule": json.dumps(segment.rule, ensure_ascii=False)} if segment else {"rule": json.dumps({"all": []})}
    form = SegmentForm(request.POST or None, initial=initial)
    rule_error = rule_error_path = None
    if request.method == "POST" and form.is_valid():
        try:
            rule = json.loads(form.cleaned_data["rule"] or "null")
        except json.JSONDecodeError:
            rule = None
        try:
            saved = save_segment(slug=form.cleaned_data["slug"], name=form.cleaned_data["name"], rule=rule,
                                 description=form.cleaned_data["description"], segment=segment, user=request.user)
        except SegmentInvalid as exc:
            for field in ("name", "slug"):
                if field in exc.errors:
                    form.add_error(field, exc.errors[field])
            rule_error, rule_error_path = exc.errors.get("rule"), exc.rule_path
        else:
            messages.success(request, _("Segment saved."))
            return redirect("members:segment", slug=saved.slug)
    rule_json = form["rule"].value() or initial["rule"]
    context = {"form": form, "segment": segment, "rule_json": rule_json, "rule_error": rule_error,
               "rule_error_path": rule_error_path, "vocabulary": rule_vocabulary(), "can_edit": _can_edit(request)}
    return render(request, "members/segment_edit.html", context)


@role_required(write=VIEWER)
@require_POST
def segment_preview(request):
    """The live count of the rule editor: a read, so viewers may use it too."""
    error = error_path = None
    count, sample = None, []
    try:
        rule = json.loads(request.POST.get("rule") or "null")
        count, sample = preview(rule, now=clock.now())
    except json.JSONDecodeError:
        error = _("The rule is not valid JSON.")
    except RuleError as exc:
        error, error_path = exc.localized(), exc.path
    context = {"count": count, "sample": sample, "error": error, "error_path": error_path}
    return render(request, "members/segment_edit.html#live-count", context, status=200)


# --- Imports ----------------------------------------------------------------------------------

@role_required()
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = imports.start_import(kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], user=request.user)
        return redirect("members:import", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "members/imports.html", {"form": form, "jobs": jobs, "can_edit": _can_edit(request)})


@role_required()
def import_detail(request, pk):
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404
    context = {"job": job, "poll_url": reverse("members:import", kwargs={"pk": job.pk})}
    return _partial(request, "members/import_detail.html", "progress", context)
