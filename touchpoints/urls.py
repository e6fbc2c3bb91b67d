from django.urls import path

from . import views

app_name = "touchpoints"
urlpatterns = [path("", views.channel_list, name="channels")]
api_urlpatterns = []
