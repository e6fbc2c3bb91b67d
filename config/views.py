from datetime import timedelta

from accounts.permissions import role_required
from django.db import connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from journeys.models import Enrollment, Journey
from members.models import Event, Member
from touchpoints.models import Delivery


@role_required()
def home(request):
    """The operator's landing page: what is live and how members are moving today."""
    now = timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    journeys = Journey.objects.exclude(status=Journey.Status.ARCHIVED).annotate(
        active=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.OPEN)),
    ).order_by("-updated_at")[:8]
    context = {
        "journeys": journeys,
        "kpis": {
            "members": Member.objects.count(),
            "new_members_7d": Member.objects.filter(registered_at__gte=now - timedelta(days=7)).count(),
            "live_journeys": Journey.objects.filter(status=Journey.Status.LIVE).count(),
            "active_enrollments": Enrollment.objects.filter(status__in=Enrollment.OPEN).count(),
            "deliveries_today": Delivery.objects.filter(created_at__gte=day_start).count(),
            "orders_today": Event.objects.filter(name="order_paid", occurred_at__gte=day_start).count(),
        },
    }
    return render(request, "home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def permission_denied(request, exception=None):
    return _error_page(request, 403)


def page_not_found(request, exception=None):
    return _error_page(request, 404)


def _error_page(request, status):
    if request.path.startswith("/api/"):
        message = "You do not have permission to do this." if status == 403 else "Not found."
        return JsonResponse({"detail": message}, status=status)
    return render(request, f"errors/{status}.html", status=status)
