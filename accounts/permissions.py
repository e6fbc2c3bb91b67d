from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import ADMIN, EDITOR, VIEWER, has_role


class RolePermission(BasePermission):
    """Reads need a viewer, writes an editor; a view may raise the bar with `required_role`."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view):
        needed = getattr(view, "required_role", None)
        if needed is None:
            needed = VIEWER if request.method in SAFE_METHODS else EDITOR
        return has_role(request.user, needed)


class AdminOnly(RolePermission):
    def has_permission(self, request, view):
        return has_role(request.user, ADMIN)


class RoleRequiredMixin(AccessMixin):
    """Page views: anonymous users go to the login page; a role too low gets 403."""

    required_role = VIEWER
    write_role = EDITOR

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        needed = self.required_role if request.method in ("GET", "HEAD", "OPTIONS") else self.write_role
        if not has_role(request.user, needed):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def require_role(request, needed):
    if not has_role(request.user, needed):
        raise PermissionDenied


def role_required(read=VIEWER, write=EDITOR):
    """Function views: login first, then the role for the method (reads vs writes)."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            needed = read if request.method in ("GET", "HEAD", "OPTIONS") else write
            if not has_role(request.user, needed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
