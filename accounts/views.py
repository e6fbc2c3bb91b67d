from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .forms import PreferencesForm
from .models import AUDIT_ACTIONS, AuditEntry, OperatorProfile
from .permissions import role_required
from .roles import EDITOR


@login_required
def preferences(request):
    profile, _created = OperatorProfile.objects.get_or_create(user=request.user)
    form = PreferencesForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Preferences saved."))
        target = request.POST.get("next") or "preferences"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "preferences"
        return redirect(target)
    return render(request, "accounts/preferences.html", {"form": form})


@role_required(read=EDITOR)
def audit_log(request):
    entries = AuditEntry.objects.select_related("user")
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action=action)
    query = request.GET.get("q", "").strip()
    if query:
        entries = entries.filter(Q(object_repr__icontains=query) | Q(user__username__icontains=query))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = [(a, AUDIT_ACTIONS.get(a, a)) for a in AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()]
    return render(request, "accounts/audit.html", {"page": page, "actions": actions, "action": action, "q": query})
