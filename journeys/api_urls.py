"""The journeys REST API (SPEC §3), mounted under /api/v1/ by config/urls.py; trailing slash optional."""

from django.urls import re_path

from . import api

api_urlpatterns = [
    re_path(r"^journeys/?$", api.JourneysView.as_view(), name="api-journeys"),
    re_path(r"^journeys/(?P<pk>\d+)/?$", api.JourneyView.as_view(), name="api-journey"),
    re_path(r"^journeys/(?P<pk>\d+)/publish/?$", api.PublishView.as_view(), name="api-journey-publish"),
    re_path(r"^journeys/(?P<pk>\d+)/pause/?$", api.StatusView.as_view(action="pause"), name="api-journey-pause"),
    re_path(r"^journeys/(?P<pk>\d+)/resume/?$", api.StatusView.as_view(action="resume"), name="api-journey-resume"),
    re_path(r"^journeys/(?P<pk>\d+)/archive/?$", api.StatusView.as_view(action="archive"), name="api-journey-archive"),
    re_path(r"^journeys/(?P<pk>\d+)/enroll/?$", api.EnrollView.as_view(), name="api-journey-enroll"),
]
