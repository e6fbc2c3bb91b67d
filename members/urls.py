from django.urls import path, re_path

from . import api, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("recompute/", views.recompute, name="recompute"),
    path("m/<str:external_id>/", views.member_detail, name="detail"),
    path("m/<str:external_id>/tags/", views.member_tags, name="member-tags"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag-delete"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_edit, name="segment-new"),
    path("segments/preview/", views.segment_preview, name="segment-preview"),
    path("segments/<slug:slug>/", views.segment_edit, name="segment"),
    path("segments/<slug:slug>/count/", views.segment_count, name="segment-count"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
]

# Mounted under /api/v1/ by config/urls.py; every path works with or without a trailing slash.
api_urlpatterns = [
    re_path(r"^members/?$", api.MembersView.as_view(), name="api-members"),
    re_path(r"^members/(?P<external_id>[^/]+)/?$", api.MemberView.as_view(), name="api-member"),
    re_path(r"^events/?$", api.EventsView.as_view(), name="api-events"),
    re_path(r"^segments/?$", api.SegmentsView.as_view(), name="api-segments"),
    re_path(r"^segments/preview/?$", api.SegmentPreviewView.as_view(), name="api-segment-preview"),
    re_path(r"^segments/(?P<slug>[-a-zA-Z0-9_]+)/?$", api.SegmentView.as_view(), name="api-segment"),
]
