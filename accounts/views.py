from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .forms import PreferencesForm
from .models import OperatorProfile


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
