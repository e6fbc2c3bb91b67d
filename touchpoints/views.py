from accounts.permissions import role_required
from django.db.models import Count
from django.shortcuts import render

from .models import Channel


@role_required()
def channel_list(request):
    channels = Channel.objects.annotate(template_count=Count("templates"))
    return render(request, "touchpoints/channels.html", {"channels": channels})
