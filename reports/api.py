"""GET /api/v1/journeys/{id}/stats and /funnel (SPEC §3)."""

import zoneinfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from journeys.models import Journey

from . import funnel, payloads, snapshots
from .nodes import node_stats
from .views import operator_timezone


def _journey(pk):
    return Journey.objects.select_related("current_version").filter(pk=pk).first()


def _not_found():
    return Response({"detail": "Journey not found."}, status=404)


@extend_schema(
    summary="Per-node, per-goal and per-variant statistics",
    description="Per node: entered, active, branches, conversions. Per goal: totals. Per split node and variant: "
                "members, conversions per goal, rate, Wilson 95% ci and p_value against the first variant "
                "(for the journey's first goal; `goals` has them for every goal), χ² across variants and a verdict.",
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def journey_stats(request, pk):
    journey = _journey(pk)
    if journey is None:
        return _not_found()
    return Response(payloads.stats_payload(journey, node_stats(journey)))


@extend_schema(
    summary="Funnel: entered → each goal in order, overall, per variant and per cohort",
    description="Served from a snapshot (`as_of`); a snapshot older than REPORTS_FUNNEL_MAX_AGE seconds is "
                "recomputed in the background.",
    parameters=[
        OpenApiParameter("cohort", str, enum=list(funnel.COHORT_UNITS), description="Enrolment cohorts by day (default) or ISO week."),
        OpenApiParameter("tz", str, description="IANA time zone of the cohort boundaries; default: the operator's."),
    ],
    responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def journey_funnel(request, pk):
    unit = request.query_params.get("cohort", "day")
    if unit not in funnel.COHORT_UNITS:
        return Response({"cohort": f'Must be one of: {", ".join(funnel.COHORT_UNITS)}.'}, status=400)
    tz = operator_timezone(request.user)
    if request.query_params.get("tz"):
        try:
            tz = zoneinfo.ZoneInfo(request.query_params["tz"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return Response({"tz": "Unknown time zone."}, status=400)
    journey = _journey(pk)
    if journey is None:
        return _not_found()
    result, _activity, as_of = snapshots.funnel_report(journey, unit, tz)
    return Response(payloads.funnel_payload(journey, result, as_of))
