from django.urls import path, re_path

from . import api, views

app_name = "touchpoints"
urlpatterns = [path("", views.channel_list, name="channels")]

# Mounted under /api/v1/ by config/urls.py; every path works with or without a trailing slash.
api_urlpatterns = [
    re_path(r"^channels/?$", api.ChannelsView.as_view(), name="api-channels"),
    re_path(r"^channels/(?P<key>[-a-zA-Z0-9_]+)/?$", api.ChannelView.as_view(), name="api-channel"),
    re_path(r"^templates/?$", api.TemplatesView.as_view(), name="api-templates"),
    re_path(r"^templates/(?P<slug>[-a-zA-Z0-9_]+)/?$", api.TemplateView.as_view(), name="api-template"),
    re_path(r"^deliveries/?$", api.DeliveriesView.as_view(), name="api-deliveries"),
    re_path(r"^receipts/?$", api.ReceiptsView.as_view(), name="api-receipts"),
]
