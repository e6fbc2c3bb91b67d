from django.db.models import Count, Q
from django.shortcuts import render

from accounts.permissions import role_required
from journeys.models import Enrollment, Journey


@role_required()
def report_list(request):
    journeys = Journey.objects.exclude(status=Journey.Status.DRAFT).annotate(
        active=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.OPEN))
    )
    return render(request, "reports/index.html", {"journeys": journeys})
