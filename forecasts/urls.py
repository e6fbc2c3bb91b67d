from django.urls import path, re_path

from . import api, views

app_name = "forecasts"
urlpatterns = [
    path("forecasts/journeys/<int:pk>/", views.panel, name="panel"),
    path("forecasts/journeys/<int:pk>/new/", views.create, name="create"),
    path("forecasts/journeys/<int:pk>/test/", views.test_member, name="test"),
    path("forecasts/<int:pk>/", views.report, name="report"),
    path("forecasts/<int:pk>/progress/", views.progress, name="progress"),
    path("forecasts/<int:pk>/overlay/", views.overlay, name="overlay"),
    re_path(r"^api/v1/journeys/(?P<pk>\d+)/forecasts/?$", api.JourneyForecastsView.as_view(), name="api-journey-forecasts"),
    re_path(r"^api/v1/forecasts/(?P<pk>\d+)/?$", api.ForecastView.as_view(), name="api-forecast"),
    re_path(r"^api/v1/journeys/(?P<pk>\d+)/test-member/?$", api.TestMemberView.as_view(), name="api-test-member"),
]
