"""Request/answer shapes for the OpenAPI schema. Parsing and validation live in the services,
which give the all-or-nothing `{"errors": [{"index", "message"}]}` answer SPEC §3 asks for."""

from rest_framework import serializers


class EventInSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, help_text="Idempotency key: a repeated id is accepted once.")
    member = serializers.CharField(help_text="The member's external_id; unknown members are created.")
    name = serializers.CharField()
    properties = serializers.DictField(required=False)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    occurred_at = serializers.DateTimeField(required=False, help_text="Default: the moment it is received.")


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class BatchErrorsSerializer(serializers.Serializer):
    # `errors` for invalid items; `detail` alone when the body itself could not be read (bad JSON, NUL).
    errors = ItemErrorSerializer(many=True, required=False)
    detail = serializers.CharField(required=False)


class MemberInSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    wechat_openid = serializers.CharField(required=False)
    miniprogram_openid = serializers.CharField(required=False)
    timezone = serializers.CharField(required=False)
    attributes = serializers.DictField(required=False, help_text="Merged key by key; a null value removes the key.")
    tags = serializers.ListField(child=serializers.CharField(), required=False, help_text="Added to the member's tags.")
    registered_at = serializers.DateTimeField(required=False)


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class TraceStepSerializer(serializers.Serializer):
    node = serializers.CharField()
    visit = serializers.IntegerField()
    arrived_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    branch = serializers.CharField()
    note = serializers.CharField()


class EnrollmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    journey = serializers.DictField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    node = serializers.CharField()
    enrolled_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    exit_reason = serializers.CharField()
    trace = TraceStepSerializer(many=True)


class EventOutSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    properties = serializers.DictField()
    value = serializers.FloatField(allow_null=True)
    occurred_at = serializers.DateTimeField()


class DeliveryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    journey = serializers.IntegerField(allow_null=True)
    node = serializers.CharField()
    channel = serializers.CharField(allow_null=True)
    template = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    reason = serializers.CharField()
    scheduled_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class MemberProfileSerializer(MemberInSerializer):
    points = serializers.IntegerField()
    rfm_group = serializers.CharField(allow_null=True)
    rfm_scores = serializers.CharField(allow_null=True)
    lifecycle_stage = serializers.CharField(allow_null=True)
    segments = serializers.ListField(child=serializers.CharField())
    opted_out = serializers.ListField(child=serializers.CharField())
    enrollments = EnrollmentOutSerializer(many=True)
    events = EventOutSerializer(many=True)
    deliveries = DeliveryOutSerializer(many=True)


class SegmentSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    rule = serializers.JSONField()
    count = serializers.IntegerField(read_only=True, help_text="Members matching the rule now.")


class PreviewInSerializer(serializers.Serializer):
    rule = serializers.JSONField()


class PreviewOutSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = serializers.ListField(child=serializers.CharField(), help_text="external_ids of up to 10 matching members")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
