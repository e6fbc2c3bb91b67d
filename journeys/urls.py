from django.urls import path, re_path

from . import health, views
from .api_urls import api_urlpatterns  # noqa: F401  (config/urls.py mounts it under /api/v1/)

app_name = "journeys"
urlpatterns = [
    path("", views.journey_list, name="list"),
    path("health/", health.health_page, name="health"),
    path("new/", views.journey_new, name="new"),
    path("import/", views.journey_import, name="import"),
    path("<int:pk>/", views.journey_editor, name="editor"),
    path("<int:pk>/duplicate/", views.journey_duplicate, name="duplicate"),
    path("<int:pk>/export/", views.journey_export, name="export"),
    path("<int:pk>/draft/", views.journey_save, name="save"),
    path("<int:pk>/settings/", views.journey_settings, name="settings"),
    path("<int:pk>/publish/", views.journey_publish, name="publish"),
    path("<int:pk>/live/", views.journey_live, name="live"),
    re_path(r"^(?P<pk>\d+)/(?P<action>pause|resume|archive)/$", views.journey_status, name="status"),
    path("<int:pk>/nodes/<str:key>/", views.node_settings, name="node"),
    path("<int:pk>/nodes/<str:key>/members/", views.node_members, name="node_members"),
]
