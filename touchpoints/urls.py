from django.urls import path, re_path

from . import api, views

app_name = "touchpoints"
urlpatterns = [
    path("", views.channel_list, name="channels"),
    path("channels/new/", views.channel_edit, name="channel_new"),
    path("channels/<slug:key>/", views.channel_edit, name="channel"),
    path("channels/<slug:key>/test/", views.channel_test, name="channel_test"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("templates/<slug:slug>/", views.template_edit, name="template"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<int:pk>/delete/", views.calendar_delete, name="calendar_delete"),
]

# Mounted under /api/v1/ by config/urls.py; every path works with or without a trailing slash.
api_urlpatterns = [
    re_path(r"^channels/?$", api.ChannelsView.as_view(), name="api-channels"),
    re_path(r"^channels/(?P<key>[-a-zA-Z0-9_]+)/?$", api.ChannelView.as_view(), name="api-channel"),
    re_path(r"^templates/?$", api.TemplatesView.as_view(), name="api-templates"),
    re_path(r"^templates/(?P<slug>[-a-zA-Z0-9_]+)/?$", api.TemplateView.as_view(), name="api-template"),
    re_path(r"^deliveries/?$", api.DeliveriesView.as_view(), name="api-deliveries"),
    re_path(r"^receipts/?$", api.ReceiptsView.as_view(), name="api-receipts"),
]
