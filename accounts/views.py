from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import tokens as token_service
from .forms import PreferencesForm, TokenForm
from .models import AUDIT_ACTIONS, ApiToken, AuditEntry, OperatorProfile
from .permissions import role_required
from .roles import ADMIN, EDITOR, VIEWER, has_role


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


# Any role may hold tokens: a token acts with its owner's role, so a viewer's token only reads.
@role_required(read=VIEWER, write=VIEWER)
def api_tokens(request):
    """Create named tokens (the key is shown once), list them with their last use, revoke them."""
    form = TokenForm(request.POST or None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token, new_key = token_service.create_token(request.user, form.cleaned_data["name"])
            form = TokenForm()
        else:
            status = 400
    context = {
        "form": form, "new_key": new_key, "is_admin": has_role(request.user, ADMIN),
        "tokens": token_service.visible_tokens(request.user),
        "command_line_tokens": token_service.visible_command_line_tokens(request.user),
    }
    response = render(request, "accounts/tokens.html", context, status=status)
    if new_key:
        # The page holding a live key must not be kept by the browser or a proxy.
        response["Cache-Control"] = "no-store"
    return response


@role_required(read=VIEWER, write=VIEWER)
@require_POST
def revoke_api_token(request, pk):
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
    try:
        token_service.revoke_token(token, by=request.user)
    except token_service.TokenRefused:
        raise PermissionDenied from None
    messages.success(request, _("Token “%(name)s” revoked: it stops working at once.") % {"name": token.name})
    return redirect("api-tokens")


@role_required(read=VIEWER, write=VIEWER)
@require_POST
def revoke_command_line_token(request, user_id):
    owner = get_object_or_404(get_user_model(), pk=user_id)
    try:
        revoked = token_service.revoke_command_line_token(owner, by=request.user)
    except token_service.TokenRefused:
        raise PermissionDenied from None
    if revoked:
        messages.success(request, _("The command-line token of %(user)s is revoked.") % {"user": owner.get_username()})
    return redirect("api-tokens")
