"""API shapes of SPEC §3 for channels, templates, deliveries and receipts. Writes go through services."""

from rest_framework import serializers

from . import services
from .models import Channel, Delivery, Template


class SavedThroughService:
    """Writes go through the touchpoints service (validation, audit); its errors become a 400."""

    save_service = None

    def save_through_service(self, instance=None):
        try:
            return self.save_service(dict(self.validated_data), instance=instance, user=self.context["request"].user)
        except services.TouchpointError as exc:
            raise serializers.ValidationError(exc.errors) from None

    def create(self, validated_data):
        return self.save_through_service()

    def update(self, instance, validated_data):
        return self.save_through_service(instance)


class ChannelSerializer(SavedThroughService, serializers.ModelSerializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=128, required=False, allow_blank=True)
    backend = serializers.CharField(max_length=32, required=False, default="console")
    config = serializers.JSONField(required=False, help_text="Backend settings. Credential keys are write-only.")
    secret = serializers.CharField(max_length=128, required=False, allow_blank=True, write_only=True,
                                   help_text="Signing secret for webhooks and receipts (write-only).")
    secret_set = serializers.SerializerMethodField()
    credentials_set = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = ["key", "name", "kind", "backend", "config", "secret", "secret_set", "credentials_set",
                  "cost_per_message", "rate_per_minute", "max_attempts", "enabled", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"cost_per_message": {"min_value": 0}, "rate_per_minute": {"min_value": 1}}

    def get_secret_set(self, channel) -> bool:
        return bool(channel.secret)

    def get_credentials_set(self, channel) -> list[str]:
        return services.credentials_set(channel)

    def to_representation(self, channel):
        data = super().to_representation(channel)
        data["config"] = services.public_config(channel)
        return data

    save_service = staticmethod(services.save_channel)


class TemplateSerializer(SavedThroughService, serializers.ModelSerializer):
    slug = serializers.SlugField(max_length=64)
    channel = serializers.SlugRelatedField(slug_field="key", queryset=Channel.objects.all())
    fields = serializers.JSONField(required=False, help_text="Per-channel fields, e.g. the WeChat template_id and data map.")

    class Meta:
        model = Template
        fields = ["slug", "name", "channel", "subject", "body", "fields", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"name": {"required": False}, "subject": {"required": False}}

    save_service = staticmethod(services.save_template)


class DeliverySerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.external_id")
    channel = serializers.CharField(source="channel.key", default=None)
    template = serializers.CharField(source="template.slug", default=None)
    journey = serializers.IntegerField(source="journey_id", allow_null=True)
    node = serializers.CharField(source="node_key")
    sending = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["id", "kind", "member", "journey", "node", "visit", "variant", "channel", "template", "priority",
                  "status", "reason", "sending", "scheduled_at", "attempts", "sent_at", "delivered_at", "clicked_at",
                  "provider_message_id", "cost", "rendered", "created_at"]

    def get_sending(self, delivery) -> bool:
        """True while a sender holds the lease (claimed, outcome not yet recorded)."""
        return delivery.claimed_at is not None


class ReceiptSerializer(serializers.Serializer):
    delivery = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=services.RECEIPT_STATUSES)


class ReceiptResultSerializer(serializers.Serializer):
    delivery = serializers.IntegerField()
    status = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    clicked_at = serializers.DateTimeField(allow_null=True)
