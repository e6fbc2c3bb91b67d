import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("journey_canvas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def install_beat_schedule(sender, **kwargs):
    """A static schedule: every entry is a thin task that is safe to run twice."""
    from django.conf import settings

    sender.conf.beat_schedule = {
        **getattr(settings, "CELERY_BEAT_SCHEDULE_EXTRA", {}),
        **collect_beat_entries(settings.TICK_SECONDS),
    }


def collect_beat_entries(tick_seconds):
    """Apps contribute entries through a module-level BEAT_SCHEDULE in their tasks module."""
    import importlib

    from django.apps import apps

    schedule = {}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        entries = getattr(module, "BEAT_SCHEDULE", None)
        if callable(entries):
            entries = entries(tick_seconds)
        schedule.update(entries or {})
    return schedule


@app.task(ignore_result=False, name="config.ping")
def ping(value):
    """Health check used by the status page and the worker integration test."""
    return {"pong": value}
