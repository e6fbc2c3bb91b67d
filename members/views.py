from accounts.permissions import role_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .models import Member


@role_required()
def member_list(request):
    page = Paginator(Member.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "members/list.html", {"page": page})
