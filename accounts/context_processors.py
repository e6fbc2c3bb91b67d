from .roles import has_role, role_of


def roles(request):
    user = getattr(request, "user", None)
    return {
        "role": role_of(user),
        "can_edit": has_role(user, "editor"),
        "is_admin_role": has_role(user, "admin"),
    }
