from django.contrib import admin

from .models import Channel, Delivery, QuietPeriod, Template


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "kind", "backend", "cost_per_message", "rate_per_minute", "max_attempts", "enabled")
    list_filter = ("kind", "backend", "enabled")
    search_fields = ("key", "name")
    exclude = ("secret",)


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "channel", "updated_at")
    list_filter = ("channel",)
    search_fields = ("slug", "name", "body")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "member", "journey", "node_key", "channel", "status", "reason", "attempts", "scheduled_at", "sent_at")
    list_filter = ("status", "channel", "journey")
    search_fields = ("member__external_id", "provider_message_id")
    raw_id_fields = ("member", "enrollment", "version")
    # The lease belongs to the sender; editing it by hand could let a delivery go out twice.
    readonly_fields = ("claimed_at", "claim_token", "rendered")


@admin.register(QuietPeriod)
class QuietPeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date", "resume_at")
    date_hierarchy = "start_date"
