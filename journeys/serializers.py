"""Request/response shapes of the journeys API, for validation of small bodies and the OpenAPI schema."""

from rest_framework import serializers


class JourneySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    draft_revision = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True, help_text="Number of the live (current) version.")
    updated_at = serializers.DateTimeField()


class PublishSerializer(serializers.Serializer):
    migrate = serializers.BooleanField(default=False, help_text="Move members of earlier versions onto the new one.")
    mapping = serializers.DictField(child=serializers.CharField(allow_null=True), required=False, default=dict,
                                    help_text="{removed node key: node key of the new version}.")


class PublishResultSerializer(serializers.Serializer):
    version = serializers.IntegerField()


class NodeErrorSerializer(serializers.Serializer):
    node = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ErrorsSerializer(serializers.Serializer):
    # `errors` per node; `detail` alone when the body itself could not be read (bad JSON, NUL).
    errors = NodeErrorSerializer(many=True, required=False)
    detail = serializers.CharField(required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class EnrollSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.CharField(max_length=128), allow_empty=False, max_length=10000)


class EnrollResultSerializer(serializers.Serializer):
    enrolled = serializers.IntegerField()
    unknown = serializers.ListField(child=serializers.CharField())
