from django.contrib import admin

from .models import Event, Member, MemberTag, Segment, Tag


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
    list_display = ("slug", "name", "updated_at")
    search_fields = ("slug", "name")
