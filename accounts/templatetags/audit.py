"""`{% load audit %}{% audit_history obj %}`: the latest audit entries of one object, for any page."""

from django import template

from accounts import audit

register = template.Library()
SHOWN = 8


@register.inclusion_tag("accounts/_history.html")
def audit_history(obj, limit=SHOWN):
    entries = list(audit.history(obj)[:limit + 1])
    return {"entries": entries[:limit], "more": len(entries) > limit, "object": obj}
