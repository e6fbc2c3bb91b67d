from django.db.models import Count, Q
from django.shortcuts import render

from accounts.permissions import role_required

from .models import Enrollment, Journey


@role_required()
def journey_list(request):
    journeys = Journey.objects.annotate(active=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.OPEN)))
    return render(request, "journeys/list.html", {"journeys": journeys})
