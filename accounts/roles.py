"""The three roles of SPEC/ARCHITECTURE: admin, editor (edit and publish), viewer (read reports).

Roles are Django groups (created by a migration) so that an administrator manages them in the
usual place; a superuser is always an admin.
"""

ADMIN, EDITOR, VIEWER = "admin", "editor", "viewer"
ROLES = (ADMIN, EDITOR, VIEWER)
RANK = {VIEWER: 1, EDITOR: 2, ADMIN: 3}


def role_of(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_journey_canvas_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLES if r in names), None)
    user._journey_canvas_role = role
    return role


def has_role(user, needed):
    role = role_of(user)
    return role is not None and RANK[role] >= RANK[needed]
