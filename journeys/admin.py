from django.contrib import admin

from .models import Enrollment, GoalConversion, Journey, JourneyVersion, NodeStat, StepLog


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "current_version", "updated_at")
    list_filter = ("status",)
    search_fields = ("name",)


@admin.register(JourneyVersion)
class JourneyVersionAdmin(admin.ModelAdmin):
    list_display = ("journey", "number", "published_at", "published_by")
    list_filter = ("journey",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("member", "journey", "node_key", "status", "due_at", "enrolled_at")
    list_filter = ("status", "journey")
    search_fields = ("member__external_id",)
    raw_id_fields = ("member", "version")


@admin.register(StepLog)
class StepLogAdmin(admin.ModelAdmin):
    list_display = ("enrollment", "node_key", "visit", "branch", "arrived_at", "note")
    list_filter = ("journey",)
    raw_id_fields = ("enrollment", "member", "version")


@admin.register(NodeStat)
class NodeStatAdmin(admin.ModelAdmin):
    list_display = ("journey", "version", "node_key", "metric", "count")
    list_filter = ("journey",)


@admin.register(GoalConversion)
class GoalConversionAdmin(admin.ModelAdmin):
    list_display = ("journey", "goal_key", "member", "converted_at")
    list_filter = ("journey", "goal_key")
    raw_id_fields = ("enrollment", "member")
