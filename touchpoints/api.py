"""Channels, templates, deliveries and receipts endpoints (SPEC §3). Thin: validate, call a service."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import ADMIN, EDITOR, VIEWER

from . import serializers as s
from . import services
from .channels.webhook import SIGNATURE_HEADER, signature_matches
from .models import Channel, Delivery, Template


class AdminWrites:
    @property
    def required_role(self):
        return VIEWER if self.request.method in SAFE_METHODS else ADMIN


class EditorWrites:
    @property
    def required_role(self):
        return VIEWER if self.request.method in SAFE_METHODS else EDITOR


class PartialPut:
    """PUT replaces the fields it names; credentials it leaves out keep their stored value."""

    def put(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


@extend_schema_view(get=extend_schema(summary="List channels"), post=extend_schema(summary="Create a channel (admin)"))
class ChannelsView(AdminWrites, generics.ListCreateAPIView):
    queryset = Channel.objects.all()
    serializer_class = s.ChannelSerializer
    pagination_class = None


@extend_schema_view(get=extend_schema(summary="One channel"), put=extend_schema(summary="Update a channel (admin)"))
class ChannelView(AdminWrites, PartialPut, generics.RetrieveUpdateAPIView):
    queryset = Channel.objects.all()
    serializer_class = s.ChannelSerializer
    lookup_field = "key"
    http_method_names = ["get", "put", "head", "options"]


@extend_schema_view(get=extend_schema(summary="List templates"), post=extend_schema(summary="Create a template"))
class TemplatesView(EditorWrites, generics.ListCreateAPIView):
    queryset = Template.objects.select_related("channel")
    serializer_class = s.TemplateSerializer
    pagination_class = None


@extend_schema_view(get=extend_schema(summary="One template"), put=extend_schema(summary="Update a template"))
class TemplateView(EditorWrites, PartialPut, generics.RetrieveUpdateAPIView):
    queryset = Template.objects.select_related("channel")
    serializer_class = s.TemplateSerializer
    lookup_field = "slug"
    http_method_names = ["get", "put", "head", "options"]


@extend_schema_view(get=extend_schema(
    summary="List deliveries",
    parameters=[
        OpenApiParameter("member", str, description="member external_id"),
        OpenApiParameter("journey", int, description="journey id"),
        OpenApiParameter("status", str, enum=Delivery.Status.values),
        OpenApiParameter("channel", str, description="channel key"),
        OpenApiParameter("node", str, description="node key"),
    ],
))
class DeliveriesView(generics.ListAPIView):
    serializer_class = s.DeliverySerializer

    def get_queryset(self):
        params = self.request.query_params
        qs = Delivery.objects.select_related("member", "channel", "template").order_by("-created_at", "-id")
        if params.get("member"):
            qs = qs.filter(member__external_id=params["member"])
        if params.get("journey"):
            if not params["journey"].isdigit():
                raise ValidationError({"journey": "journey must be a journey id (an integer)"})
            qs = qs.filter(journey_id=int(params["journey"]))
        if params.get("status"):
            if params["status"] not in Delivery.Status.values:
                raise ValidationError({"status": f"status must be one of {Delivery.Status.values}"})
            qs = qs.filter(status=params["status"])
        if params.get("channel"):
            qs = qs.filter(channel__key=params["channel"])
        if params.get("node"):
            qs = qs.filter(node_key=params["node"])
        return qs


class ReceiptsView(APIView):
    """Provider callbacks. No token: the body must be signed with the delivery's channel secret."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=s.ReceiptSerializer,
        parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True,
                                     description="sha256=<hex HMAC-SHA256 of the raw body with the channel secret>")],
        responses={200: s.ReceiptResultSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT),
                   403: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT),
                   409: OpenApiResponse(OpenApiTypes.OBJECT)},
        summary="Delivery receipt from a provider",
    )
    def post(self, request):
        raw = request.body  # read before request.data so the signature covers the exact bytes
        serializer = s.ReceiptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = get_object_or_404(Delivery.objects.select_related("channel"), id=serializer.validated_data["delivery"])
        channel = services.signing_channel(delivery)
        if channel is None or not channel.secret:
            return Response({"detail": "the delivery's channel has no signing secret; receipts are refused"},
                            status=status.HTTP_403_FORBIDDEN)
        if not signature_matches(channel.secret, raw, request.headers.get(SIGNATURE_HEADER)):
            return Response({"detail": f"bad or missing {SIGNATURE_HEADER} signature"}, status=status.HTTP_403_FORBIDDEN)
        try:
            delivery = services.record_receipt(delivery.id, serializer.validated_data["status"])
        except services.TouchpointError as exc:
            return Response(exc.errors, status=status.HTTP_409_CONFLICT)
        return Response({"delivery": delivery.id, "status": delivery.status,
                         "delivered_at": delivery.delivered_at, "clicked_at": delivery.clicked_at})
