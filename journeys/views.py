from accounts.permissions import role_required
from django.db.models import Count, Q
from django.shortcuts import render

from .models import Enrollment, Journey


def _journeys_with_activity():
    return Journey.objects.annotate(active=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.OPEN)))


@role_required()
def journey_list(request):
    return render(request, "journeys/list.html", {"journeys": _journeys_with_activity()})


@role_required()
def report_list(request):
    journeys = _journeys_with_activity().exclude(status=Journey.Status.DRAFT)
    return render(request, "journeys/reports.html", {"journeys": journeys})
