"""Thin Celery task: a forecast runs in a worker; the page polls its progress from the cache."""

from celery import shared_task

from .models import Forecast
from .services import run_forecast


@shared_task(name="forecasts.run")
def run(forecast_id):
    forecast = Forecast.objects.filter(pk=forecast_id, status=Forecast.Status.QUEUED).first()
    if forecast is not None:
        run_forecast(forecast)
