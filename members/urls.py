from django.urls import path, re_path

from . import api, views

app_name = "members"
urlpatterns = [path("", views.member_list, name="list")]

# Mounted under /api/v1/ by config/urls.py; every path works with or without a trailing slash.
api_urlpatterns = [
    re_path(r"^members/?$", api.MembersView.as_view(), name="api-members"),
    re_path(r"^members/(?P<external_id>[^/]+)/?$", api.MemberView.as_view(), name="api-member"),
    re_path(r"^events/?$", api.EventsView.as_view(), name="api-events"),
    re_path(r"^segments/?$", api.SegmentsView.as_view(), name="api-segments"),
    re_path(r"^segments/preview/?$", api.SegmentPreviewView.as_view(), name="api-segment-preview"),
    re_path(r"^segments/(?P<slug>[-a-zA-Z0-9_]+)/?$", api.SegmentView.as_view(), name="api-segment"),
]
