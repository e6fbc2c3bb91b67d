from django.urls import path

from . import views
from .api_urls import api_urlpatterns  # noqa: F401  (config/urls.py mounts it under /api/v1/)

app_name = "journeys"
urlpatterns = [path("", views.journey_list, name="list")]
