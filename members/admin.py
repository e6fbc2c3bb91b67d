from django.contrib import admin

from .models import Event, ImportJob, Member, MemberTag, Segment, SegmentMembership, Tag


class MemberTagInline(admin.TabularInline):
    model = MemberTag
    extra = 0
    autocomplete_fields = ["tag"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "phone", "rfm_group", "lifecycle_stage", "points", "registered_at")
    list_filter = ("rfm_group", "lifecycle_stage", "tags")
    search_fields = ("external_id", "name", "phone", "email")
    date_hierarchy = "registered_at"
    inlines = [MemberTagInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "created_at")
    search_fields = ("name",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("name", "member", "value", "occurred_at", "received_at")
    list_filter = ("name",)
    search_fields = ("member__external_id", "idempotency_key")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("member",)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "member_count", "refreshed_at", "updated_at")
    search_fields = ("slug", "name")


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(admin.ModelAdmin):
    list_display = ("segment", "member", "entered_at", "left_at")
    list_filter = ("segment",)
    raw_id_fields = ("member",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "status", "imported_rows", "rejected_rows", "created_by", "created_at")
    list_filter = ("kind", "status")
    readonly_fields = ("rejections",)
