"""The members, events and segments endpoints of SPEC §3. Thin: parse, call a service, answer."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import VIEWER
from accounts.throttling import IngestRateThrottle
from journeys import clock

from . import serializers as s
from .models import Member, Segment
from .profile import member_profile
from .rules import RuleError
from .segments import SegmentInvalid, live_count, preview, save_segment
from .services import BatchInvalid, as_list, ingest_events, upsert_members


class MembersView(APIView):
    throttle_classes = [IngestRateThrottle]

    @extend_schema(
        request=s.MemberInSerializer(many=True),
        responses={200: s.UpsertResultSerializer, 400: s.BatchErrorsSerializer},
        description="One member or a list; upserts by external_id.",
    )
    def post(self, request):
        try:
            created, updated = upsert_members(as_list(request.data))
        except BatchInvalid as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": created, "updated": updated})


class MemberView(APIView):
    @extend_schema(responses={200: s.MemberProfileSerializer})
    def get(self, request, external_id):
        member = get_object_or_404(Member, external_id=external_id)
        return Response(member_profile(member))


class EventsView(APIView):
    throttle_classes = [IngestRateThrottle]

    @extend_schema(
        request=s.EventInSerializer(many=True),
        responses={202: s.IngestResultSerializer, 400: s.BatchErrorsSerializer},
        description="One event or a list of up to 10,000. A batch with any invalid item is rejected whole.",
    )
    def post(self, request):
        try:
            accepted, duplicates = ingest_events(as_list(request.data))
        except BatchInvalid as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"accepted": accepted, "duplicates": duplicates}, status=status.HTTP_202_ACCEPTED)


def segment_data(segment, *, now):
    return {
        "slug": segment.slug,
        "name": segment.name,
        "description": segment.description,
        "rule": segment.rule,
        "count": _count_or_none(segment, now),
        "member_count": segment.member_count,
        "refreshed_at": segment.refreshed_at,
    }


def _count_or_none(segment, now):
    try:
        return live_count(segment, now=now)
    except RuleError:
        return None


def _invalid(exc):
    return Response({"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)


def _not_an_object():
    return Response({"detail": "send a JSON object"}, status=status.HTTP_400_BAD_REQUEST)


class SegmentsView(APIView):
    @extend_schema(responses={200: s.SegmentSerializer(many=True)})
    def get(self, request):
        now = clock.now()
        return Response([segment_data(seg, now=now) for seg in Segment.objects.all()])

    @extend_schema(request=s.SegmentSerializer, responses={201: s.SegmentSerializer, 400: s.ErrorSerializer})
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            return _not_an_object()
        try:
            segment = save_segment(slug=body.get("slug"), name=body.get("name"), rule=body.get("rule"),
                                   description=body.get("description", ""), user=request.user)
        except SegmentInvalid as exc:
            return _invalid(exc)
        return Response(segment_data(segment, now=clock.now()), status=status.HTTP_201_CREATED)


class SegmentView(APIView):
    @extend_schema(responses={200: s.SegmentSerializer})
    def get(self, request, slug):
        return Response(segment_data(get_object_or_404(Segment, slug=slug), now=clock.now()))

    @extend_schema(request=s.SegmentSerializer, responses={200: s.SegmentSerializer, 400: s.ErrorSerializer})
    def put(self, request, slug):
        segment = get_object_or_404(Segment, slug=slug)
        body = request.data
        if not isinstance(body, dict):
            return _not_an_object()
        try:
            save_segment(slug=slug, name=body.get("name", segment.name), rule=body.get("rule", segment.rule),
                         description=body.get("description", segment.description), segment=segment,
                         user=request.user)
        except SegmentInvalid as exc:
            return _invalid(exc)
        return Response(segment_data(segment, now=clock.now()))


class SegmentPreviewView(APIView):
    # Previewing reads: viewers may try rules without saving anything.
    required_role = VIEWER

    @extend_schema(
        request=s.PreviewInSerializer,
        responses={200: s.PreviewOutSerializer, 400: OpenApiResponse(s.ErrorSerializer, description="invalid rule")},
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            return _not_an_object()
        if "rule" not in body:
            return Response({"detail": "send {\"rule\": RULE}", "errors": {"rule": "is required"}}, status=status.HTTP_400_BAD_REQUEST)
        try:
            count, sample = preview(body["rule"], now=clock.now())
        except RuleError as exc:
            return Response({"detail": str(exc), "errors": {"rule": str(exc)}}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"count": count, "sample": sample})
