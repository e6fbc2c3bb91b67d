from django.urls import path, re_path

from . import api, views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="index"),
    path("<int:pk>/", views.journey_report, name="journey"),
    path("<int:pk>/promote", views.promote, name="promote"),
    path("<int:pk>/withdraw", views.withdraw, name="withdraw"),
    path("<int:pk>/policy", views.policy, name="policy"),
    path("<int:pk>/<slug:table>.csv", views.export_csv, name="export"),
]
api_urlpatterns = [
    re_path(r"^journeys/(?P<pk>\d+)/stats/?$", api.journey_stats, name="api-journey-stats"),
    re_path(r"^journeys/(?P<pk>\d+)/funnel/?$", api.journey_funnel, name="api-journey-funnel"),
]
