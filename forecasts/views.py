"""Forecast and single-member test pages: the editor's panel, the progress bar and the report."""

import json

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import role_required
from accounts.roles import EDITOR, has_role
from journeys.document import Graph
from journeys.forms import branches, summary
from journeys.models import Journey

from . import services, trace
from .forms import ForecastForm, TraceForm
from .models import Forecast
from .tasks import run


def _partial(request, template, name, context, **kwargs):
    """The named partial for an htmx request, else the whole page."""
    return render(request, f"{template}#{name}" if request.htmx else template, context, **kwargs)


def _panel_context(request, journey, **extra):
    return {"journey": journey, "can_edit": has_role(request.user, EDITOR), "form": ForecastForm(),
            "trace_form": TraceForm(), "forecasts": journey.forecasts.all()[:5], **extra}


@role_required()
@require_GET
def panel(request, pk):
    journey = get_object_or_404(Journey, pk=pk)
    return _partial(request, "forecasts/panel.html", "panel", _panel_context(request, journey))


@role_required()
@require_POST
def create(request, pk):
    journey = get_object_or_404(Journey, pk=pk)
    form = ForecastForm(request.POST)
    if not form.is_valid():
        return _partial(request, "forecasts/panel.html", "panel", _panel_context(request, journey, form=form))
    forecast = services.start_forecast(journey, form.params(), user=request.user)
    transaction.on_commit(lambda: run.delay(forecast.pk))
    return _partial(request, "forecasts/panel.html", "progress", _progress_context(forecast))


def _progress_context(forecast):
    progress = services.progress_of(forecast)
    percent = 100 if forecast.status == Forecast.Status.DONE else (
        int(100 * progress["done"] / progress["total"]) if progress["total"] else 0)
    return {"forecast": forecast, "journey": forecast.journey, "percent": percent, "progress": progress}


@role_required()
@require_GET
def progress(request, pk):
    forecast = get_object_or_404(Forecast.objects.select_related("journey"), pk=pk)
    response = _partial(request, "forecasts/panel.html", "progress", _progress_context(forecast))
    if forecast.status == Forecast.Status.DONE and request.htmx:
        # The canvas island overlays the predicted counts (static/forecasts/forecast.js).
        response["HX-Trigger"] = json.dumps({"jc:forecast-ready": {"id": forecast.pk, "nodes": forecast.results.get("nodes", {})}})
    return response


@role_required()
@require_GET
def report(request, pk):
    forecast = get_object_or_404(Forecast.objects.select_related("journey", "created_by"), pk=pk)
    results = forecast.results or {}
    graph = Graph.of(forecast.document)
    nodes = []
    for key, node in graph.nodes.items():
        counts = results.get("nodes", {}).get(key, {})
        nodes.append({"key": key, "label": node.get("label") or key, "type": node.get("type"), "summary": summary(node),
                      "entered": counts.get("entered", 0), "active": counts.get("active", 0),
                      "branches": [(b, counts.get("branches", {}).get(b, 0)) for b in branches(node)]})
    deliveries = results.get("deliveries", {})
    channels = sorted(deliveries.get("channels", {}))
    days = [{"day": d["day"], "counts": [d["channels"].get(c, 0) for c in channels]} for d in deliveries.get("days", [])]
    variants = [{"key": key, **value, "goals": [(g, value["conversions"].get(g, 0), value["rates"].get(g, 0)) for g in results.get("goals", {})]}
                for key, value in results.get("variants", {}).items()]
    return render(request, "forecasts/report.html", {
        "forecast": forecast, "journey": forecast.journey, "results": results, "nodes": nodes, "channels": channels,
        "channel_totals": [deliveries["channels"][c] for c in channels], "days": days, "variants": variants,
        "model": forecast.model or {}, "progress": _progress_context(forecast), "lifts": [
            (template, (forecast.model or {}).get("parameters", {}).get("nudge_lift", {}).get(template), source)
            for template, source in ((forecast.model or {}).get("sources", {}).get("nudge_lift") or {}).items()],
    })


@role_required()
@require_POST
def test_member(request, pk):
    """Runs the single-member test (editors, like every other POST, though nothing it writes persists)."""
    journey = get_object_or_404(Journey.objects.select_related("current_version"), pk=pk)
    form = TraceForm(request.POST)
    context = _panel_context(request, journey, trace_form=form, open_tab="test")
    if form.is_valid():
        try:
            context["trace"] = _readable(trace.trace(journey, trace.clean(form.payload())))
        except services.ForecastError as exc:
            field, _sep, message = str(exc).partition(": ")
            form.add_error(field if field in form.fields else None, message or str(exc))
    return _partial(request, "forecasts/panel.html", "test", context)


def _readable(result):
    """The test's ISO timestamps as "YYYY-MM-DD HH:MM" (the journey's local time) for the page."""
    def short(value):
        return value[:16].replace("T", " ") if value else ""

    for step in result["path"]:
        step["arrived"], step["left"] = short(step["arrived_at"]), short(step["left_at"])
    for conversion in result["conversions"]:
        conversion["label"] = short(conversion["at"])
    return result


@role_required()
@require_GET
def overlay(request, pk):
    """The predicted per-node counts as JSON (the canvas overlay's plain-request fallback)."""
    forecast = get_object_or_404(Forecast, pk=pk, status=Forecast.Status.DONE)
    return HttpResponse(json.dumps({"id": forecast.pk, "nodes": forecast.results.get("nodes", {})}), content_type="application/json")
