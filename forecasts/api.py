"""Forecast and single-member test endpoints under /api/v1/ (thin: parse, call the services, answer)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys.models import Journey

from . import services, trace
from .models import Forecast
from .tasks import run


def forecast_json(forecast):
    return {"id": forecast.pk, "journey": forecast.journey_id, "status": forecast.status, "params": forecast.params,
            "progress": services.progress_of(forecast), "model": forecast.model, "results": forecast.results,
            "error": forecast.error, "created_at": forecast.created_at, "finished_at": forecast.finished_at}


class JourneyForecastsView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, description="The journey's forecasts, newest first.")
    def get(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        return Response([forecast_json(f) for f in journey.forecasts.all()[:50]])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="bad parameters")},
                   description='Forecast the draft: {"population": "segment"|"recent", "segment", "recent_days", "days", '
                               '"step_hours", "seed", "limit"}. Runs in a worker; poll GET /forecasts/{id}.')
    def post(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        if not isinstance(request.data, dict):
            return Response({"detail": "a JSON object is required"}, status=status.HTTP_400_BAD_REQUEST)
        try:
            forecast = services.start_forecast(journey, request.data, user=request.user)
        except services.ForecastError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        transaction.on_commit(lambda: run.delay(forecast.pk))
        return Response(forecast_json(forecast), status=status.HTTP_202_ACCEPTED)


class ForecastView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk):
        return Response(forecast_json(get_object_or_404(Forecast, pk=pk)))


class TestMemberView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="bad input")},
                   description='The exact path of one member through the draft or live journey: {"member": external id} or '
                               '{"profile": {"attributes", "tags", "registered_days_ago", "timezone"}}, "events": [{"name", '
                               '"day", "hour", "properties", "value"}], "days", "source": "draft"|"live".')
    def post(self, request, pk):
        journey = get_object_or_404(Journey.objects.select_related("current_version"), pk=pk)
        try:
            return Response(trace.trace(journey, trace.clean(request.data)))
        except services.ForecastError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
