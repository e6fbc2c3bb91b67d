# The journeys REST API (SPEC §3), mounted under /api/v1/ by config/urls.py.
api_urlpatterns = []
