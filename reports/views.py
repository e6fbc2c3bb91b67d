import csv
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from accounts.roles import EDITOR, has_role
from journeys.models import Enrollment, Journey

from . import ab, documents, funnel, services, snapshots, tables
from .forms import PolicyForm, PromoteForm
from .models import Promotion, SplitPolicy
from .nodes import node_rows, node_stats


def operator_timezone(user):
    """The time zone an operator reads dates in: their preference, else the site default."""
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    name = (profile.timezone if profile else "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _journey(pk):
    return get_object_or_404(Journey.objects.select_related("current_version"), pk=pk)


@role_required()
def report_list(request):
    journeys = (Journey.objects.exclude(status=Journey.Status.DRAFT).select_related("current_version")
                .annotate(enrolled=Count("enrollments"),
                          active=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.OPEN)))
                .order_by("-updated_at"))
    rows = []
    for journey in journeys:
        document = documents.journey_document(journey)
        rows.append({"journey": journey, "goals": documents.goal_keys(document),
                     "splits": len(documents.split_nodes(document))})
    return render(request, "reports/index.html", {"rows": rows})


def _cohort_unit(request):
    unit = request.GET.get("cohort", "day")
    return unit if unit in funnel.COHORT_UNITS else "day"


def report_context(request, journey, forms=None):
    unit = _cohort_unit(request)
    stats = node_stats(journey)
    splits = ab.split_results(journey)
    result, activity, funnel_as_of = snapshots.funnel_report(journey, unit, timezone.get_current_timezone())
    policies = {p.node_key: p for p in SplitPolicy.objects.filter(journey=journey)}
    forms = forms or {}
    for split in splits:
        keys = [v.key for v in split.variants]
        split.promote_form = forms.get(("promote", split.node_key)) or PromoteForm(
            variants=keys, initial={"node": split.node_key, "variant": split.verdict.winner or ""})
        policy = policies.get(split.node_key)
        split.policy = policy
        split.policy_form = forms.get(("policy", split.node_key)) or PolicyForm(initial={
            "node": split.node_key, **({"auto_promote": policy.auto_promote, "alpha": policy.alpha,
                                         "min_members": policy.min_members, "keep_control": policy.keep_control}
                                        if policy else {})})
        split.chart = tables.variant_chart(split)
    nodes = node_rows(journey, stats)
    return {
        "journey": journey,
        "stats": stats,
        "nodes": nodes,
        "active_now": sum(n["active"] for n in nodes),
        "splits": splits,
        "funnel": result,
        "funnel_chart": tables.funnel_chart(result),
        "activity": tables.activity_chart(activity),
        "funnel_as_of": funnel_as_of,
        "cohort_rows": tables.cohort_rows(result),
        "cohort_days": funnel.COHORT_DAYS,
        "unit": unit,
        "history": Promotion.objects.filter(journey=journey).select_related("created_by")[:50],
        "can_edit": has_role(request.user, EDITOR),
        "chart_locale": "ZH" if (get_language() or "").startswith("zh") else "EN",
        "min_members": ab.sample_rule().min_members,
    }


@role_required()
def journey_report(request, pk):
    journey = _journey(pk)
    context = report_context(request, journey)
    if request.htmx and request.GET.get("partial") == "cohorts":
        return render(request, "reports/journey.html#cohorts", context)
    return render(request, "reports/journey.html", context)


def _invalid(request, journey, key, form):
    context = report_context(request, journey, forms={key: form})
    return render(request, "reports/journey.html", context, status=400)


def _variants_of(journey, node_key):
    node = next((n for n in documents.split_nodes(documents.journey_document(journey)) if n["key"] == node_key), None)
    return documents.variant_keys(node) if node else []


@role_required()
@require_POST
def promote(request, pk):
    journey = _journey(pk)
    node_key = request.POST.get("node", "")
    form = PromoteForm(request.POST, variants=_variants_of(journey, node_key))
    if not form.is_valid():
        return _invalid(request, journey, ("promote", node_key), form)
    try:
        services.promote_variant(journey, node_key, form.cleaned_data["variant"],
                                 keep_control=form.cleaned_data["keep_control"], user=request.user)
    except services.PromotionError as exc:
        form.add_error("variant", str(exc))
        return _invalid(request, journey, ("promote", node_key), form)
    messages.success(request, _("New arrivals at %(node)s now all take %(variant)s.")
                     % {"node": node_key, "variant": form.cleaned_data["variant"]})
    return redirect("reports:journey", pk=journey.pk)


@role_required()
@require_POST
def withdraw(request, pk):
    journey = _journey(pk)
    node_key = request.POST.get("node", "")
    try:
        services.withdraw_promotion(journey, node_key, user=request.user)
    except services.PromotionError as exc:
        messages.error(request, str(exc))
        return redirect("reports:journey", pk=journey.pk)
    messages.success(request, _("New arrivals at %(node)s are split by weight again.") % {"node": node_key})
    return redirect("reports:journey", pk=journey.pk)


@role_required()
@require_POST
def policy(request, pk):
    journey = _journey(pk)
    node_key = request.POST.get("node", "")
    form = PolicyForm(request.POST)
    if not form.is_valid() or node_key not in {n["key"] for n in documents.split_nodes(documents.journey_document(journey))}:
        if form.is_valid():
            form.add_error(None, _("%(node)s is not a split node of this journey.") % {"node": node_key})
        return _invalid(request, journey, ("policy", node_key), form)
    data = form.cleaned_data
    services.set_split_policy(journey, node_key, auto_promote=data["auto_promote"], alpha=data["alpha"],
                              min_members=data["min_members"], keep_control=data["keep_control"])
    messages.success(request, _("Automatic promotion settings saved."))
    return redirect("reports:journey", pk=journey.pk)


@role_required()
def export_csv(request, pk, table):
    journey = _journey(pk)
    def report():
        return snapshots.funnel_report(journey, _cohort_unit(request), timezone.get_current_timezone())

    builders = {
        "funnel": lambda: tables.funnel_table(report()[0]),
        "cohorts": lambda: tables.cohort_table(report()[0]),
        "variants": lambda: tables.variant_table(ab.split_results(journey)),
        "nodes": lambda: tables.node_table(node_rows(journey), documents.goal_keys(documents.journey_document(journey))),
        "activity": lambda: tables.activity_table(report()[1]),
        "history": lambda: tables.history_table(Promotion.objects.filter(journey=journey).select_related("created_by")),
    }
    if table not in builders:
        raise Http404
    header, rows = builders[table]()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journey-{journey.pk}-{table}.csv"'
    # A byte-order mark so that spreadsheet programs read the Chinese labels as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
