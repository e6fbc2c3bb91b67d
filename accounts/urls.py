from django.urls import re_path

from . import api_views

urlpatterns = []
api_urlpatterns = [re_path(r"^me/?$", api_views.me, name="api-me")]
