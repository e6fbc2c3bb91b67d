from django.urls import path

from . import views

app_name = "journeys"
urlpatterns = [
    path("", views.journey_list, name="list"),
    path("reports/", views.report_list, name="reports"),
]
api_urlpatterns = []
