"""Number formatting for report pages: rates, intervals, p-values and durations, '—' when absent."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()
DASH = "—"


@register.filter
def pct(value, digits=1):
    return DASH if value is None else f"{value * 100:.{int(digits)}f}%"


@register.filter
def points(value):
    """A difference of rates in percentage points, signed."""
    return DASH if value is None else f"{value * 100:+.1f}"


@register.filter
def signed_pct(value):
    return DASH if value is None else f"{value * 100:+.1f}%"


@register.filter
def interval(ci):
    return DASH if ci is None else f"{ci[0] * 100:.1f}–{ci[1] * 100:.1f}%"


@register.filter
def pvalue(p):
    if p is None:
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


@register.filter
def p_is(p):
    """'p = 0.012' or 'p < 0.001' inside a sentence."""
    if p is None:
        return DASH
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@register.filter
def money(value):
    return DASH if value is None else f"{value:,.2f}"


@register.filter
def duration(seconds):
    if seconds is None:
        return DASH
    hours = seconds / 3600
    if hours < 48:
        return _("%(n).1f h") % {"n": hours}
    return _("%(n).1f d") % {"n": hours / 24}


@register.filter
def get(mapping, key):
    return None if mapping is None else mapping.get(key)
