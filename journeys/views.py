"""Journey pages: the list, the template gallery and the canvas editor with its small endpoints.

The server owns the graph: the canvas sends the journey/v1 document (never HTML) and every write
goes through journeys.services, which validates it. Node and journey settings are server forms
(journeys.forms); a valid form answers with the cleaned node for the canvas to apply and save.
"""

import copy
import json
from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import role_required
from accounts.roles import EDITOR, has_role

from . import gallery, services
from .forms import FORMS, NODE_TYPES, SettingsForm, branches, summary
from .models import Enrollment, GoalConversion, Journey
from .stats import journey_stats

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MEMBERS_PER_PAGE = 20
STATUS_ACTIONS = {"pause": services.journey_pause, "resume": services.journey_resume, "archive": services.journey_archive}


def _can_edit(request):
    return has_role(request.user, EDITOR)


def _json_error(message, status=400, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


# --- List, gallery, create, import, duplicate, export ----------------------------------------------

def _list_rows(journeys):
    """Per-journey figures for the list in three grouped queries, whatever the number of rows."""
    ids = [j.id for j in journeys]
    start_of_day = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    enrolments = {row["journey"]: row for row in Enrollment.objects.filter(journey__in=ids).values("journey").annotate(
        total=Count("id"), active=Count("id", filter=Q(status__in=Enrollment.OPEN)),
        today=Count("id", filter=Q(enrolled_at__gte=start_of_day)))}
    converted = dict(GoalConversion.objects.filter(journey__in=ids).values("journey")
                     .annotate(n=Count("enrollment", distinct=True)).values_list("journey", "n"))
    for journey in journeys:
        row = enrolments.get(journey.id, {})
        journey.members_active = row.get("active", 0)
        journey.entered_today = row.get("today", 0)
        total = row.get("total", 0)
        journey.conversion = (converted.get(journey.id, 0) / total) if total else None
    return journeys


def _list_context(request, import_error=None):
    journeys = Journey.objects.select_related("current_version")
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if query:
        journeys = journeys.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if status in Journey.Status.values:
        journeys = journeys.filter(status=status)
    return {
        "journeys": _list_rows(list(journeys[:200])), "query": query, "status": status,
        "statuses": Journey.Status.choices, "gallery": gallery.templates(), "can_edit": _can_edit(request),
        "import_error": import_error,
    }


@role_required()
def journey_list(request):
    return render(request, "journeys/list.html", _list_context(request))


def blank_document():
    return {
        "format": "journey/v1", "name": _("Untitled journey"), "description": "",
        "settings": {"timezone": timezone.get_current_timezone_name(), "reentry": {"mode": "never"}, "goals": [],
                     "exit_on": ["unsubscribed"]},
        "nodes": [{"key": "start", "type": "entry", "label": _("Entry"), "position": {"x": 80, "y": 200},
                   "config": {"event": "registered"}}],
        "edges": [],
    }


@role_required()
@require_POST
def journey_new(request):
    template = request.POST.get("template", "")
    if template and not gallery.exists(template):
        messages.error(request, _("There is no template called %(name)s.") % {"name": template})
        return redirect("journeys:list")
    document = gallery.document(template) if template else blank_document()
    journey = services.journey_create(document=document, user=request.user)
    return redirect("journeys:editor", pk=journey.pk)


@role_required()
@require_POST
def journey_import(request):
    upload = request.FILES.get("file")
    error = None
    document = None
    if upload is None:
        error = _("Choose a journey/v1 JSON file to import.")
    elif upload.size > MAX_IMPORT_BYTES:
        error = _("The file is larger than 2 MB; a journey document is much smaller.")
    else:
        try:
            document = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            error = _("The file is not valid JSON: %(error)s") % {"error": exc}
    if document is not None:
        try:
            journey = services.journey_create(document=document, user=request.user)
        except services.DocumentInvalid as exc:
            error = _("The file is not a journey/v1 document: %(error)s") % {"error": exc}
        else:
            messages.success(request, _("Imported “%(name)s”.") % {"name": journey.name})
            return redirect("journeys:editor", pk=journey.pk)
    return render(request, "journeys/list.html", _list_context(request, import_error=error), status=400)


@role_required()
@require_POST
def journey_duplicate(request, pk):
    source = get_object_or_404(Journey, pk=pk)
    document = copy.deepcopy(source.draft)
    document["name"] = _("%(name)s (copy)") % {"name": source.name}
    journey = services.journey_create(document=document, user=request.user)
    messages.success(request, _("Duplicated as “%(name)s”.") % {"name": journey.name})
    return redirect("journeys:editor", pk=journey.pk)


@role_required()
@require_GET
def journey_export(request, pk):
    journey = get_object_or_404(Journey, pk=pk)
    response = HttpResponse(json.dumps(journey.draft, ensure_ascii=False, indent=2), content_type="application/json")
    filename = f"{slugify(journey.name) or 'journey'}-{journey.pk}.journey.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The editor -----------------------------------------------------------------------------------

def _summaries(document):
    return {node["key"]: summary(node) for node in document.get("nodes", []) if isinstance(node, dict) and "key" in node}


@role_required()
@require_GET
def journey_editor(request, pk):
    journey = get_object_or_404(Journey.objects.select_related("current_version"), pk=pk)
    can_edit = _can_edit(request) and journey.status != Journey.Status.ARCHIVED
    palette = [{"type": kind, "label": str(label), "hint": str(hint)} for kind, label, hint in PALETTE]
    boot = {
        "id": journey.pk, "revision": journey.draft_revision, "document": journey.draft,
        "summaries": _summaries(journey.draft), "canEdit": can_edit, "status": journey.status,
        "published": journey.current_version_id is not None,
        "urls": {
            "save": reverse("journeys:save", args=[pk]), "publish": reverse("journeys:publish", args=[pk]),
            "live": reverse("journeys:live", args=[pk]), "settings": reverse("journeys:settings", args=[pk]),
            "node": reverse("journeys:node", args=[pk, "__key__"]),
            "members": reverse("journeys:node_members", args=[pk, "__key__"]),
        },
        "palette": palette, "i18n": canvas_text(),
    }
    return render(request, "journeys/editor.html", {"journey": journey, "boot": boot, "can_edit": can_edit,
                                                     "palette": palette})


PALETTE = [
    ("entry", gettext_lazy("Entry"), gettext_lazy("Who enters and when")),
    ("delay", gettext_lazy("Delay"), gettext_lazy("Wait a fixed time")),
    ("wait", gettext_lazy("Wait for event"), gettext_lazy("Until an event or a timeout")),
    ("condition", gettext_lazy("Condition"), gettext_lazy("Yes / no on a rule")),
    ("split", gettext_lazy("A/B split"), gettext_lazy("Random variants and control")),
    ("send", gettext_lazy("Send message"), gettext_lazy("SMS, WeChat, e-mail, push")),
    ("action", gettext_lazy("Action"), gettext_lazy("Tag, points, coupon, webhook")),
    ("exit", gettext_lazy("Exit"), gettext_lazy("End of the journey")),
]


def canvas_text():
    """Strings the canvas script shows, translated on the server like every other page text."""
    return {
        "entry": _("Entry"), "delay": _("Delay"), "wait": _("Wait for event"), "condition": _("Condition"),
        "split": _("A/B split"), "send": _("Send message"), "action": _("Action"), "exit": _("Exit"),
        "saved": _("All changes saved"), "unsaved": _("Unsaved changes"), "saving": _("Saving…"),
        "conflict": _("This journey was changed in another tab or by a colleague. Reload to see the latest draft; "
                      "your changes here were not saved."),
        "saveFailed": _("Could not save: %(error)s"), "reload": _("Reload"),
        "publishing": _("Checking…"), "published": _("Published version %(version)s"),
        "publishErrors": _("Not published: the problems are marked on the steps."), "entered": _("entered"), "here": _("here"),
        "oneEntry": _("A journey has exactly one entry."),
        "newConfig": _("Not configured yet"),
    }


def _archived():
    return _json_error(_("This journey is archived and can no longer be changed."), status=409)


def _journey_for_write(request, pk):
    journey = get_object_or_404(Journey, pk=pk)
    if journey.status == Journey.Status.ARCHIVED:
        return journey, _archived()
    return journey, None


@role_required()
@require_POST
def journey_save(request, pk):
    """Autosave: the canvas posts {document, revision}; a stale revision is refused with 409."""
    journey, refused = _journey_for_write(request, pk)
    if refused:
        return refused
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _json_error(_("The request body is not valid JSON."))
    if not isinstance(body, dict) or "document" not in body:
        return _json_error(_("Send {\"document\": …, \"revision\": N}."))
    revision = body.get("revision")
    if revision is not None and not isinstance(revision, int):
        return _json_error(_("\"revision\" must be an integer."))
    try:
        services.journey_update_draft(journey, document=body["document"], user=request.user, base_revision=revision)
    except services.StaleDraft:
        journey.refresh_from_db(fields=["draft_revision"])
        return _json_error(_("The draft was changed elsewhere."), status=409, revision=journey.draft_revision)
    except services.DocumentInvalid as exc:
        return _json_error(str(exc), errors=exc.errors)
    return JsonResponse({"revision": journey.draft_revision, "summaries": _summaries(journey.draft),
                         "saved_at": timezone.localtime().strftime("%H:%M:%S")})


def _node_from_request(journey, key, params):
    """The node being edited: the canvas sends its current (maybe unsaved) type/label/config."""
    nodes = {n.get("key"): n for n in journey.draft.get("nodes", []) if isinstance(n, dict)}
    node = copy.deepcopy(nodes.get(key) or {"key": key})
    if params.get("type"):
        node["type"] = params["type"]
    if "label" in params:
        node["label"] = params["label"]
    if params.get("config"):
        try:
            config = json.loads(params["config"])
        except ValueError:
            config = None
        if isinstance(config, dict):
            node["config"] = config
    if node.get("type") not in NODE_TYPES:
        raise Http404
    return node, set(nodes) - {key}


def _taken_keys(params):
    try:
        taken = json.loads(params.get("taken", "[]"))
    except ValueError:
        return set()
    return {k for k in taken if isinstance(k, str)} if isinstance(taken, list) else set()


@role_required()
def node_settings(request, pk, key):
    """GET: the node's settings form; POST: validate it and hand the cleaned node to the canvas."""
    journey = get_object_or_404(Journey, pk=pk)
    if request.method == "POST" and journey.status == Journey.Status.ARCHIVED:
        return _archived()
    params = request.POST if request.method == "POST" else request.GET
    node, stored_keys = _node_from_request(journey, key, params)
    form_class = FORMS[node["type"]]
    taken = (stored_keys | _taken_keys(params)) - {key}
    can_edit = _can_edit(request) and journey.status != Journey.Status.ARCHIVED
    context = {"journey": journey, "node": node, "can_edit": can_edit, "summary": summary(node),
               "branches": branches(node), "published": journey.current_version_id is not None}
    if request.method == "POST":
        form = form_class(request.POST, taken_keys=taken)
        if form.is_valid():
            cleaned = form.node()
            if "position" in node:
                cleaned["position"] = node["position"]
            context.update(node=cleaned, summary=summary(cleaned), branches=branches(cleaned), applied=True)
            if not request.htmx:
                document = _replace_node(journey.draft, key, cleaned)
                services.journey_update_draft(journey, document=document, user=request.user)
                return redirect("journeys:editor", pk=pk)
            response = render(request, "journeys/node_settings.html#panel",
                              {**context, "form": form_class.for_node(cleaned, taken_keys=taken)})
            response["HX-Trigger"] = json.dumps({"jc:node-applied": {
                "key": key, "node": cleaned, "summary": context["summary"]}})
            return response
        context["form"] = form
        status = 400
    else:
        context["form"] = form_class.for_node(node, taken_keys=taken)
        status = 200
    template = "journeys/node_settings.html#panel" if request.htmx else "journeys/node_settings.html"
    return render(request, template, context, status=status)


def _replace_node(document, key, node):
    """The document with one node replaced, edges following a renamed key."""
    document = copy.deepcopy(document)
    document["nodes"] = [node if n.get("key") == key else n for n in document.get("nodes", [])]
    for edge in document.get("edges", []):
        for end in ("from", "to"):
            if edge.get(end) == key:
                edge[end] = node["key"]
    return document


@role_required()
def journey_settings(request, pk):
    """The journey's own settings (name, goals, exits, quiet hours…), same apply-then-save flow."""
    journey = get_object_or_404(Journey, pk=pk)
    can_edit = _can_edit(request) and journey.status != Journey.Status.ARCHIVED
    if request.method == "POST" and not can_edit:
        return _archived()
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            applied = form.apply(journey.draft)
            fields = {k: applied[k] for k in ("name", "description", "settings")}
            if not request.htmx:
                services.journey_update_draft(journey, document=applied, user=request.user)
                return redirect("journeys:editor", pk=pk)
            response = render(request, "journeys/settings.html#panel",
                              {"journey": journey, "form": SettingsForm.for_document(applied), "can_edit": can_edit,
                               "applied": True})
            response["HX-Trigger"] = json.dumps({"jc:settings-applied": fields})
            return response
        status = 400
    else:
        form, status = SettingsForm.for_document(journey.draft), 200
    template = "journeys/settings.html#panel" if request.htmx else "journeys/settings.html"
    return render(request, template, {"journey": journey, "form": form, "can_edit": can_edit}, status=status)


# --- Publish, migration preview, status -----------------------------------------------------------

def _mapping(post):
    return {name[4:]: value for name, value in post.items() if name.startswith("map_") and value}


@role_required()
@require_POST
def journey_publish(request, pk):
    """Validate the saved draft; for a journey with members in it, answer the migration preview
    first, and publish only when the operator confirms."""
    journey, refused = _journey_for_write(request, pk)
    if refused:
        return refused
    errors = services.validate_for_publish(journey.draft)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    migrate = request.POST.get("migrate") == "1"
    mapping = _mapping(request.POST)
    has_members = journey.current_version_id and Enrollment.objects.filter(
        journey=journey, status__in=Enrollment.OPEN).exists()
    if has_members and request.POST.get("confirm") != "1":
        labels = {n.get("key"): n.get("label") or n.get("key") for document in (journey.current_version.document, journey.draft)
                  for n in document.get("nodes", []) if isinstance(n, dict)}
        rows = [{**row, "from_label": labels.get(row["from"]), "to_label": labels.get(row["to"])}
                for row in services.migration_preview(journey, mapping=mapping)]
        new_keys = [n["key"] for n in journey.draft.get("nodes", [])]
        html = render_to_string("journeys/editor.html#migration", {
            "journey": journey, "rows": rows, "new_nodes": [(key, labels[key]) for key in new_keys], "migrate": migrate,
            "removed": sorted({r["from"] for r in rows if r["from"] not in new_keys}),
        }, request=request)
        return JsonResponse({"preview": html})
    try:
        version = services.journey_publish(journey, user=request.user, migrate=migrate, mapping=mapping or None)
    except services.DocumentInvalid as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    except services.JourneyStateError as exc:
        return _json_error(str(exc), status=409)
    journey.refresh_from_db()
    return JsonResponse({"version": version.number, "status": journey.status, "revision": journey.draft_revision})


@role_required()
@require_POST
def journey_status(request, pk, action):
    journey = get_object_or_404(Journey, pk=pk)
    try:
        STATUS_ACTIONS[action](journey, user=request.user)
    except services.JourneyStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, {"pause": _("Journey paused: nobody moves and nothing is sent until you resume."),
                                   "resume": _("Journey resumed."), "archive": _("Journey archived.")}[action])
    return redirect("journeys:editor", pk=pk)


# --- Live mode ------------------------------------------------------------------------------------

@role_required()
@require_GET
def journey_live(request, pk):
    """Per-node counters for the canvas to poll; small JSON, the canvas is never reloaded."""
    journey = get_object_or_404(Journey, pk=pk)
    stats = journey_stats(journey)
    return JsonResponse({"status": journey.status, "nodes": stats.get("nodes", {}), "goals": stats.get("goals", {})})


@role_required()
@require_GET
def node_members(request, pk, key):
    journey = get_object_or_404(Journey, pk=pk)
    enrolments = (Enrollment.objects.filter(journey=journey, node_key=key, status__in=Enrollment.OPEN)
                  .select_related("member").order_by("node_entered_at", "id"))
    page = Paginator(enrolments, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    node_stats = journey_stats(journey).get("nodes", {}).get(key, {}) if journey.current_version_id else {}
    context = {"journey": journey, "key": key, "page": page, "stats": node_stats}
    template = "journeys/node_members.html#members" if request.htmx else "journeys/node_members.html"
    return render(request, template, context)
