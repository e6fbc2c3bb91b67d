"""Message templates rendered in a Jinja2 sandbox, and the per-channel checks.

The context is plain data only (dicts, lists, strings, numbers) built here from the member, the
journey and the delivery: no model object ever reaches a template. On top of Jinja's sandbox,
attribute access is refused altogether (dict keys are still reachable as `member.name`), there
are no globals (no `range`, `dict`, `lipsum`…), no imports/includes/macros, no `*`/`**`
operators (the cheap way to build a gigabyte string), and the output is capped.
"""

import functools
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 20_000
FORBIDDEN_NODES = {
    nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import",
    nodes.Macro: "macro", nodes.CallBlock: "call", nodes.Scope: "scope",
    # A variable that is concatenated with itself level after level (`{% set b = a~a~a %}`…)
    # doubles its size per line: a dozen lines ask for gigabytes.
    nodes.Assign: "set", nodes.AssignBlock: "set",
}
# Filters whose numeric arguments are sizes of what they build: `"x"|center(10**9)`.
SIZE_ARGUMENT_FILTERS = {"center", "indent", "wordwrap", "batch", "slice", "truncate"}
FORMAT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?")


class TemplateError(ValueError):
    """A template that cannot be rendered; the message says why in operator terms."""


LOOP_ATTRIBUTES = {"index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem", "nextitem"}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def is_safe_attribute(self, obj, attr, value):
        # Only the for-loop helper's counters; dict keys are reached through item access.
        return isinstance(obj, LoopContext) and attr in LOOP_ATTRIBUTES

    def is_safe_callable(self, obj):
        return False

    def call_binop(self, context, operator, left, right):
        # Numbers only: "x" * 10**9 and printf-style "%" formatting are how sandboxes get abused.
        if operator in ("*", "%") and _is_number(left) and _is_number(right):
            return left * right if operator == "*" else left % right
        raise SecurityError(f"the operator {operator!r} is not allowed here")


def _too_big(size):
    return _is_number(size) and size > MAX_OUTPUT


def _check_filter_arguments(name, value, args, kwargs):
    """Refuses, before any work is done, a filter call that would build more than a message holds."""
    if name in SIZE_ARGUMENT_FILTERS and any(_too_big(a) for a in (*args, *kwargs.values())):
        raise SecurityError(f"the size given to '{name}' is larger than a message")
    if name == "format" and isinstance(value, str):
        for width, precision in FORMAT_WIDTH.findall(value):
            if "*" in (width, precision) or _too_big(int(width or 0)) or _too_big(int(precision or 0)):
                raise SecurityError("a width in 'format' is larger than a message")
    if name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        occurrences = len(value) + 1 if old == "" else value.count(old)
        if len(value) + occurrences * len(new) > MAX_OUTPUT:
            raise SecurityError("'replace' would build more than a message holds")


def _bounded(name, function):
    """Every filter: sizes checked before the call, and no result longer than a message.

    Checking results makes chains (`|replace(…)|replace(…)`…) stop at the first step past
    the limit instead of growing exponentially.
    """
    value_index = 1 if hasattr(function, "jinja_pass_arg") else 0

    @functools.wraps(function)
    def bounded(*args, **kwargs):
        value = args[value_index] if len(args) > value_index else None
        _check_filter_arguments(name, value, args[value_index + 1:], kwargs)
        result = function(*args, **kwargs)
        if isinstance(result, (str, list, tuple)) and len(result) > MAX_OUTPUT:
            raise SecurityError(f"'{name}' built more than a message holds")
        return result

    return bounded


def _environment():
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals.clear()
    env.filters = {name: _bounded(name, function) for name, function in env.filters.items()}
    return env


ENV = _environment()


def _check_source(source, where):
    problem = _source_problem(source)
    if problem:
        message, params = problem
        raise TemplateError(f"{where}: " + _(message) % params)


@functools.lru_cache(maxsize=1024)
def _source_problem(source):
    """Why `source` may not be used as a message template, as (untranslated message, params), or None.

    Cached (the sender asks once per message), so the text is translated by the caller.
    """
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as exc:
        return gettext_noop("syntax error on line %(line)s: %(error)s"), {"line": exc.lineno, "error": exc.message}
    for node_type, label in FORBIDDEN_NODES.items():
        if tree.find(node_type) is not None:
            return gettext_noop("'{%% %(tag)s %%}' is not allowed in message templates"), {"tag": label}
    # Loops inside loops multiply: two loops over a 20,000-item list are 400 million steps.
    if any(outer.find(nodes.For) is not None for outer in tree.find_all(nodes.For)):
        return gettext_noop("a loop inside a loop is not allowed in message templates"), {}
    # `self` is Jinja's handle on the template object itself; messages have no use for it.
    if any(name.name == "self" for name in tree.find_all(nodes.Name)):
        return gettext_noop("'self' is not available in message templates"), {}
    return None


def validate_source(source, where="body"):
    """Raises TemplateError unless `source` parses and uses only allowed constructs."""
    _check_source(source or "", where)


@functools.lru_cache(maxsize=1024)
def _compiled(source):
    """Parsing and compiling dominate rendering; a batch renders the same few templates many times."""
    return ENV.from_string(source)


def render_string(source, context, where="body"):
    _check_source(source or "", where)
    try:
        output = _capped_output(_compiled(source or "").generate(context))
    except SecurityError as exc:
        raise TemplateError(f"{where}: " + _("not allowed: %(error)s") % {"error": exc}) from None
    except UndefinedError as exc:
        raise TemplateError(f"{where}: {exc.message}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(f"{where}: {exc}") from None
    if len(output) > MAX_OUTPUT:
        raise TemplateError(f"{where}: " + _("the rendered text is longer than %(n)s characters") % {"n": MAX_OUTPUT})
    return output


def _capped_output(chunks):
    """The rendered text, read piece by piece so that a runaway template stops at the limit."""
    parts, size = [], 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_OUTPUT:
            break
    return "".join(parts)


def _render_fields(value, context, path):
    if isinstance(value, str):
        return render_string(value, context, where=path)
    if isinstance(value, dict):
        return {k: _render_fields(v, context, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_render_fields(v, context, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


# --- context ----------------------------------------------------------------------------------

def member_context(member, tags=()):
    return {
        "external_id": member.external_id,
        "name": member.name or "",
        "phone": member.phone,
        "email": member.email,
        "points": member.points,
        "attributes": dict(member.attributes or {}),
        "tags": sorted(tags),
        "rfm_group": member.rfm_group,
        "lifecycle_stage": member.lifecycle_stage,
    }


def build_context(member, *, tags=(), journey=None, node_key="", variant="", coupon_code=""):
    """The whole personalisation context. `journey` is a dict (id, name) or None."""
    member_dict = member_context(member, tags)
    return {
        "member": member_dict,
        "coupon_code": coupon_code or str(member_dict["attributes"].get("coupon_code", "")),
        "journey": {"id": (journey or {}).get("id"), "name": (journey or {}).get("name", ""), "node": node_key},
        "variant": variant,
    }


@dataclass
class Rendered:
    subject: str
    body: str
    fields: dict

    def as_json(self):
        return {"subject": self.subject, "body": self.body, "fields": self.fields}


def render_template(template, context):
    """Renders a Template row's subject, body and fields; raises TemplateError."""
    return Rendered(
        subject=render_string(template.subject, context, "subject"),
        body=render_string(template.body, context, "body"),
        fields=_render_fields(template.fields or {}, context, "fields"),
    )


# --- per-channel checks -----------------------------------------------------------------------

@dataclass
class CheckReport:
    errors: dict = field(default_factory=dict)  # field name → [messages]
    notes: dict = field(default_factory=dict)   # field name → [informational messages]

    def error(self, name, message):
        self.errors.setdefault(name, []).append(message)

    def note(self, name, message):
        self.notes.setdefault(name, []).append(message)

    @property
    def ok(self):
        return not self.errors


def sms_segments(text):
    """GSM-7 text: 160 characters in one SMS, 153 per part; anything else (Chinese): 70 and 67."""
    single, part = (160, 153) if all(ord(c) < 128 for c in text) else (70, 67)
    if len(text) <= single:
        return 1
    return -(-len(text) // part)


WECHAT_VALUE_LIMITS = {"thing": 20, "name": 10, "phrase": 5, "character_string": 32, "number": 32, "amount": 32}


def check_structure(channel, subject, body, fields):
    """Checks that need no member: required parts per channel kind."""
    report = CheckReport()
    for name, source in (("subject", subject), ("body", body)):
        try:
            validate_source(source, name)
        except TemplateError as exc:
            report.error(name, str(exc))
    if not isinstance(fields, dict):
        report.error("fields", _("fields must be a JSON object"))
        return report
    _check_field_sources(fields, "fields", report)
    kind = channel.kind
    if kind == "email" and not (subject or "").strip():
        report.error("subject", _("an e-mail needs a subject"))
    if kind == "push" and not (subject or "").strip():
        report.error("subject", _("a push notification needs a title (the subject)"))
    if kind in ("wechat_template", "miniprogram"):
        if not str(fields.get("template_id", "")).strip():
            report.error("fields", _("fields.template_id is required: the template id registered with WeChat"))
        data = fields.get("data")
        if not isinstance(data, dict) or not data:
            report.error("fields", _('fields.data must map WeChat field keys to text, e.g. {"thing1": "{{ member.name }}"}'))
        elif any(not isinstance(v, str) for v in data.values()):
            report.error("fields", _("every value in fields.data must be text"))
    if kind == "sms" and not (body or "").strip():
        report.error("body", _("an SMS needs a text"))
    return report


def _check_field_sources(value, path, report):
    if isinstance(value, str):
        try:
            validate_source(value, path)
        except TemplateError as exc:
            report.error("fields", str(exc))
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_field_sources(v, f"{path}.{k}", report)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_field_sources(v, f"{path}[{i}]", report)


def check_rendered(channel, rendered, report=None):
    """Length and field checks on a rendered message for the channel's kind and config."""
    report = report or CheckReport()
    config = channel.config or {}
    kind = channel.kind
    if kind == "sms":
        text = f"{config.get('signature', '')}{rendered.body}"
        segments = sms_segments(text)
        try:
            max_segments = int(config.get("max_segments", 3))
        except (TypeError, ValueError):
            max_segments = 3
        report.note("body", _("%(n)s characters including the signature, %(segments)s SMS segment(s)")
                    % {"n": len(text), "segments": segments})
        if segments > max_segments:
            report.error("body", _("%(n)s characters including the signature is %(segments)s SMS segments; the channel allows %(max)s")
                         % {"n": len(text), "segments": segments, "max": max_segments})
    elif kind in ("wechat_template", "miniprogram"):
        for key, value in (rendered.fields.get("data") or {}).items():
            prefix = key.rstrip("0123456789")
            limit = WECHAT_VALUE_LIMITS.get(prefix) if kind == "miniprogram" else 200
            if limit and len(str(value)) > limit:
                report.error("fields", _("fields.data.%(key)s is %(n)s characters; WeChat allows %(limit)s")
                             % {"key": key, "n": len(str(value)), "limit": limit})
    elif kind == "push":
        if len(rendered.subject) > 50:
            report.error("subject", _("the push title is %(n)s characters; keep it to 50") % {"n": len(rendered.subject)})
        if len(rendered.body) > 200:
            report.error("body", _("the push text is %(n)s characters; keep it to 200") % {"n": len(rendered.body)})
    elif kind == "wecom":
        if len(rendered.body.encode()) > 2048:
            report.error("body", _("a WeCom text message may be at most 2048 bytes"))
    elif kind == "email":
        if "\n" in rendered.subject or "\r" in rendered.subject:
            report.error("subject", _("the subject must be one line"))
    return report
