"""The journeys endpoints of SPEC §3 (not /stats or /funnel: the reports app serves those).

Thin: parse, call journeys.services, answer. The draft document is the body of GET/PUT
/journeys/{id}; its revision travels as the ETag and PUT honours If-Match.
"""

import re

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import Member

from . import serializers as s
from . import services
from .models import Journey

ETAG_RE = re.compile(r'^(?:W/)?"?(\d+)"?$')


def summary(journey):
    return {"id": journey.pk, "name": journey.name, "status": journey.status, "draft_revision": journey.draft_revision,
            "version": journey.current_version.number if journey.current_version_id else None,
            "updated_at": journey.updated_at}


def with_etag(response, journey):
    response["ETag"] = f'"{journey.draft_revision}"'
    return response


def invalid(errors):
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def conflict(exc):
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


class JourneysView(APIView):
    @extend_schema(responses={200: s.JourneySummarySerializer(many=True)})
    def get(self, request):
        journeys = Journey.objects.select_related("current_version").order_by("-updated_at")
        return Response([summary(j) for j in journeys])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: s.JourneySummarySerializer, 400: s.ErrorsSerializer},
                   description="Create a draft journey from a journey/v1 document (an import is the same call).")
    def post(self, request):
        try:
            journey = services.journey_create(document=request.data, user=request.user)
        except services.DocumentInvalid as exc:
            return invalid(exc.errors)
        return with_etag(Response(summary(journey), status=status.HTTP_201_CREATED), journey)


class JourneyView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, description="The draft document (an export is the same call).")
    def get(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        return with_etag(Response(journey.draft), journey)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False,
                                     description="The ETag of the draft this edit started from.")],
        responses={200: OpenApiTypes.OBJECT, 400: s.ErrorsSerializer, 412: s.DetailSerializer},
    )
    def put(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        base = None
        if_match = request.headers.get("If-Match")
        if if_match and if_match.strip() != "*":
            match = ETAG_RE.match(if_match.strip())
            if match is None:
                return Response({"detail": f"If-Match {if_match!r} is not an ETag of this draft (e.g. \"3\")."},
                                status=status.HTTP_400_BAD_REQUEST)
            base = int(match.group(1))
        try:
            services.journey_update_draft(journey, document=request.data, user=request.user, base_revision=base)
        except services.StaleDraft as exc:
            return with_etag(Response({"detail": str(exc)}, status=status.HTTP_412_PRECONDITION_FAILED), journey)
        except services.DocumentInvalid as exc:
            return invalid(exc.errors)
        return with_etag(Response(journey.draft), journey)


class PublishView(APIView):
    @extend_schema(request=s.PublishSerializer,
                   responses={200: s.PublishResultSerializer, 400: s.ErrorsSerializer, 409: s.DetailSerializer})
    def post(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        body = s.PublishSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            return invalid([{"node": None, "message": f"{field}: {' '.join(map(str, problems))}"}
                            for field, problems in body.errors.items()])
        try:
            version = services.journey_publish(journey, user=request.user, migrate=body.validated_data["migrate"],
                                               mapping=body.validated_data.get("mapping") or {})
        except services.DocumentInvalid as exc:
            return invalid(exc.errors)
        except services.JourneyStateError as exc:
            return conflict(exc)
        return Response({"version": version.number})


class StatusView(APIView):
    action = None
    services_by_action = {"pause": services.journey_pause, "resume": services.journey_resume,
                          "archive": services.journey_archive}

    @extend_schema(request=None, responses={200: s.StatusSerializer, 409: s.DetailSerializer})
    def post(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        try:
            self.services_by_action[self.action](journey, user=request.user)
        except services.JourneyStateError as exc:
            return conflict(exc)
        return Response({"id": journey.pk, "status": journey.status})


class EnrollView(APIView):
    @extend_schema(request=s.EnrollSerializer,
                   responses={200: s.EnrollResultSerializer, 400: OpenApiResponse(description="A bad body"),
                              409: s.DetailSerializer})
    def post(self, request, pk):
        journey = get_object_or_404(Journey, pk=pk)
        body = s.EnrollSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            return Response(body.errors, status=status.HTTP_400_BAD_REQUEST)
        external_ids = body.validated_data["members"]
        try:
            enrolled = services.enroll_members(journey, external_ids)
        except services.JourneyStateError as exc:
            return conflict(exc)
        known = set(Member.objects.filter(external_id__in=external_ids).values_list("external_id", flat=True))
        return Response({"enrolled": enrolled, "unknown": sorted(set(external_ids) - known)})
