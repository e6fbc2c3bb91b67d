"""Node settings forms for the canvas: one form per node type, and the node card summaries.

A form is built from a journey/v1 node (`NodeForm.for_node(node)`), validates what the operator
typed field by field, and gives back the node (`form.node()`) with a config in SPEC shape. The
summary is the one-line human reading of a node shown on its card.
"""

import json
import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from members import rules
from members.models import Segment
from touchpoints.models import Channel, Template

NODE_TYPES = ("entry", "delay", "wait", "condition", "split", "send", "action", "exit")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = [(1, gettext_lazy("Mon")), (2, gettext_lazy("Tue")), (3, gettext_lazy("Wed")), (4, gettext_lazy("Thu")),
            (5, gettext_lazy("Fri")), (6, gettext_lazy("Sat")), (7, gettext_lazy("Sun"))]
MAX_VARIANTS = 10


def branches(node):
    """The named exits of a node (SPEC node types table), in port order."""
    kind = node.get("type")
    if kind == "wait":
        return ["matched", "timeout"]
    if kind == "condition":
        return ["yes", "no"]
    if kind == "split":
        return [v.get("key", "") for v in (node.get("config") or {}).get("variants", [])]
    if kind == "exit":
        return []
    return ["next"]


# --- Summaries ----------------------------------------------------------------------------------

def duration_text(spec):
    parts = []
    # Literal ngettext calls, so makemessages extracts the unit texts.
    for unit, text in (("days", lambda n: ngettext("%(n)s day", "%(n)s days", n)),
                       ("hours", lambda n: ngettext("%(n)s hour", "%(n)s hours", n)),
                       ("minutes", lambda n: ngettext("%(n)s minute", "%(n)s minutes", n))):
        n = (spec or {}).get(unit)
        if n:
            parts.append(text(n) % {"n": n})
    return " ".join(parts) or _("no time")


def rule_text(rule):
    """A short reading of a RULE tree; long trees are counted rather than spelled out."""
    if not isinstance(rule, dict) or not rule:
        return _("any member")
    if "all" in rule or "any" in rule:
        items = rule.get("all", rule.get("any")) or []
        joiner = _(" and ") if "all" in rule else _(" or ")
        if len(items) <= 3:
            return joiner.join(rule_text(item) for item in items)
        return ngettext("%(n)s condition", "%(n)s conditions", len(items)) % {"n": len(items)}
    if "not" in rule:
        return _("not (%(rule)s)") % {"rule": rule_text(rule["not"])}
    if "goal" in rule:
        return _("converted on %(goal)s") % {"goal": rule["goal"]}
    if "tag" in rule:
        return _("tagged %(tag)s") % {"tag": rule["tag"]}
    if "rfm" in rule:
        return _("RFM %(group)s") % {"group": rule["rfm"]}
    if "stage" in rule:
        return _("stage %(stage)s") % {"stage": rule["stage"]}
    if "last_event" in rule:
        return _("no %(event)s for %(days)s days") % {"event": rule["last_event"], "days": rule.get("older_than_days")}
    if "event" in rule:
        return _("did %(event)s") % {"event": rule["event"]}
    if "attr" in rule:
        return f"{rule.get('attr')} {rule.get('op', 'eq')} {json.dumps(rule.get('value'), ensure_ascii=False)}"
    return _("custom rule")


def summary(node):
    """The human one-liner on a node card, e.g. "Wait up to 5 days for order_paid"."""
    kind, config = node.get("type"), node.get("config") or {}
    if kind == "entry":
        if "segment" in config:
            return _("Members entering segment %(segment)s") % {"segment": config["segment"]}
        if "inactive" in config:
            inactive = config["inactive"] or {}
            text = _("No %(event)s for %(days)s days") % {"event": inactive.get("event"), "days": inactive.get("days")}
        elif config.get("manual"):
            return _("Enrolled manually (API or members page)")
        elif "event" in config:
            text = _("When %(event)s happens") % {"event": config["event"]}
        else:
            return _("Choose a trigger")
        if config.get("where"):
            text += _(", where %(rule)s") % {"rule": rule_text(config["where"])}
        return text
    if kind == "delay":
        text = _("Wait %(duration)s") % {"duration": duration_text(config)}
        if config.get("anchor") == "entry":
            text = _("%(duration)s after entry") % {"duration": duration_text(config)}
        if config.get("at"):
            text += _(", then at %(time)s") % {"time": config["at"]}
        if config.get("weekdays"):
            names = dict(WEEKDAYS)
            text += " (" + ", ".join(str(names.get(d, d)) for d in config["weekdays"]) + ")"
        return text
    if kind == "wait":
        if not config.get("event"):
            return _("Choose an event to wait for")
        if not config.get("timeout"):
            return _("Wait for %(event)s (no timeout yet)") % {"event": config["event"]}
        return _("Wait up to %(duration)s for %(event)s") % {"duration": duration_text(config.get("timeout")),
                                                             "event": config["event"]}
    if kind == "condition":
        if "segment" in config:
            return _("In segment %(segment)s?") % {"segment": config["segment"]}
        if config.get("rule"):
            return _("If %(rule)s") % {"rule": rule_text(config["rule"])}
        return _("Choose a rule")
    if kind == "split":
        variants = config.get("variants") or []
        total = sum(v.get("weight", 0) for v in variants if isinstance(v.get("weight"), (int, float))) or 1
        return " / ".join(f"{v.get('key')} {round(100 * v.get('weight', 0) / total)}%" for v in variants) or _("No variants")
    if kind == "send":
        if not config.get("template"):
            return _("Choose a channel and template")
        return _("Send %(template)s via %(channel)s") % {"template": config["template"], "channel": config.get("channel")}
    if kind == "action":
        if "add_tag" in config:
            return _("Add tag %(tag)s") % {"tag": config["add_tag"]}
        if "remove_tag" in config:
            return _("Remove tag %(tag)s") % {"tag": config["remove_tag"]}
        if "set_attribute" in config:
            pairs = ", ".join(f"{k} = {v}" for k, v in (config["set_attribute"] or {}).items())
            return _("Set %(pairs)s") % {"pairs": pairs}
        if "grant_points" in config:
            return _("Grant %(points)s points") % {"points": config["grant_points"]}
        if "grant_coupon" in config:
            return _("Grant coupon %(code)s") % {"code": config["grant_coupon"]}
        if "webhook" in config:
            return _("Call webhook %(url)s") % {"url": (config["webhook"] or {}).get("url", "")}
        return _("Choose an action")
    if kind == "exit":
        return _("End of the journey")
    return ""


# --- Forms --------------------------------------------------------------------------------------

class JSONRuleField(forms.CharField):
    """A RULE as JSON text, checked by the members rule validator so errors name the bad key."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "mono", "spellcheck": "false"})

    def __init__(self, *, event_where=False, allow_goal=False, **kwargs):
        self.event_where = event_where
        self.allow_goal = allow_goal
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, indent=1)
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            rule = json.loads(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(rule, dict):
            raise forms.ValidationError(_("A rule is a JSON object such as {\"tag\": \"vip\"}."))
        try:
            if self.event_where:
                rules.validate_event_where(rule)
            else:
                rules.validate_rule(rule, allow_goal=self.allow_goal)
        except rules.RuleError as exc:
            raise forms.ValidationError(exc.localized()) from exc
        return rule


def slug_field(label, required=True, help_text=""):
    return forms.RegexField(label=label, regex=r"^[A-Za-z0-9_.:-]{1,64}$", required=required, max_length=64,
                            help_text=help_text, error_messages={"invalid": gettext_lazy("Letters, digits, _ . : - only.")})


class NodeForm(forms.Form):
    type = None
    key = forms.CharField(label=gettext_lazy("Key"), max_length=64,
                          help_text=gettext_lazy("Statistics and the API use it; keep it once live."))
    label = forms.CharField(label=gettext_lazy("Label"), max_length=120, required=False)

    def __init__(self, *args, taken_keys=(), **kwargs):
        self.taken_keys = set(taken_keys)
        super().__init__(*args, **kwargs)

    @classmethod
    def for_node(cls, node, **kwargs):
        initial = {"key": node.get("key", ""), "label": node.get("label", "")}
        initial.update(cls.initial_from(node.get("config") or {}))
        return cls(initial=initial, **kwargs)

    @classmethod
    def initial_from(cls, config):
        return {}

    def clean_key(self):
        key = self.cleaned_data["key"].strip()
        if not KEY_RE.match(key):
            raise forms.ValidationError(_("Lower-case letters, digits, _ and -; at most 64 characters."))
        if key in self.taken_keys:
            raise forms.ValidationError(_("Another step already uses the key %(key)s.") % {"key": key})
        return key

    def config(self):
        return {}

    def node(self):
        node = {"key": self.cleaned_data["key"], "type": self.type}
        if self.cleaned_data.get("label"):
            node["label"] = self.cleaned_data["label"]
        config = self.config()
        if config or self.type != "exit":
            node["config"] = config
        return node


class DurationMixin:
    def duration(self, prefix=""):
        out = {}
        for unit in ("days", "hours", "minutes"):
            value = self.cleaned_data.get(prefix + unit)
            if value:
                out[unit] = value
        return out


def count_field(label):
    return forms.IntegerField(label=label, min_value=0, max_value=3650, required=False)


class EntryForm(NodeForm):
    type = "entry"
    TRIGGERS = [("event", gettext_lazy("An event arrives")), ("segment", gettext_lazy("A member enters a segment")),
                ("inactive", gettext_lazy("No event for N days")), ("manual", gettext_lazy("Manual enrolment only"))]
    trigger = forms.ChoiceField(label=gettext_lazy("Enrol members when"), choices=TRIGGERS, widget=forms.RadioSelect)
    event = slug_field(gettext_lazy("Event"), required=False, help_text=gettext_lazy("e.g. registered, order_paid"))
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)
    days = forms.IntegerField(label=gettext_lazy("Days without the event"), min_value=1, max_value=3650, required=False)
    where = JSONRuleField(label=gettext_lazy("Only members matching (RULE, optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—")] + list(Segment.objects.values_list("slug", "name"))

    @classmethod
    def initial_from(cls, config):
        if "segment" in config:
            return {"trigger": "segment", "segment": config["segment"]}
        if "inactive" in config:
            inactive = config["inactive"] or {}
            return {"trigger": "inactive", "event": inactive.get("event"), "days": inactive.get("days"),
                    "where": config.get("where")}
        if config.get("manual"):
            return {"trigger": "manual"}
        return {"trigger": "event", "event": config.get("event", ""), "where": config.get("where")}

    def clean(self):
        data = super().clean()
        trigger = data.get("trigger")
        if trigger in ("event", "inactive") and not data.get("event"):
            self.add_error("event", _("Name the event."))
        if trigger == "inactive" and not data.get("days"):
            self.add_error("days", _("How many days without the event?"))
        if trigger == "segment" and not data.get("segment"):
            self.add_error("segment", _("Choose a segment."))
        return data

    def config(self):
        data = self.cleaned_data
        trigger = data["trigger"]
        if trigger == "segment":
            return {"segment": data["segment"]}
        if trigger == "manual":
            return {"manual": True}
        config = {"event": data["event"]} if trigger == "event" else {"inactive": {"event": data["event"], "days": data["days"]}}
        if data.get("where"):
            config["where"] = data["where"]
        return config


class DelayForm(DurationMixin, NodeForm):
    type = "delay"
    days = count_field(gettext_lazy("Days"))
    hours = count_field(gettext_lazy("Hours"))
    minutes = count_field(gettext_lazy("Minutes"))
    anchor = forms.ChoiceField(label=gettext_lazy("Counted from"), choices=[
        ("previous", gettext_lazy("arrival at this step")), ("entry", gettext_lazy("enrolment (e.g. day 7 after registration)"))])
    at = forms.CharField(label=gettext_lazy("Then at local time (HH:MM, optional)"), required=False, max_length=5)
    weekdays = forms.TypedMultipleChoiceField(label=gettext_lazy("Only on"), choices=WEEKDAYS, coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)

    @classmethod
    def initial_from(cls, config):
        return {"days": config.get("days"), "hours": config.get("hours"), "minutes": config.get("minutes"),
                "anchor": config.get("anchor", "previous"), "at": config.get("at", ""), "weekdays": config.get("weekdays", [])}

    def clean_at(self):
        at = self.cleaned_data["at"].strip()
        if at and not HHMM_RE.match(at):
            raise forms.ValidationError(_("Use 24-hour HH:MM, e.g. 10:00."))
        return at

    def clean(self):
        data = super().clean()
        if not any(data.get(unit) for unit in ("days", "hours", "minutes")) and not data.get("at"):
            self.add_error("days", _("Give a duration (days, hours or minutes) or a time of day."))
        return data

    def config(self):
        config = self.duration()
        if self.cleaned_data["anchor"] == "entry":
            config["anchor"] = "entry"
        if self.cleaned_data.get("at"):
            config["at"] = self.cleaned_data["at"]
        if self.cleaned_data.get("weekdays"):
            config["weekdays"] = sorted(self.cleaned_data["weekdays"])
        return config


class WaitForm(DurationMixin, NodeForm):
    type = "wait"
    event = slug_field(gettext_lazy("Wait for event"), help_text=gettext_lazy("Leaves through the matched exit when it arrives."))
    where = JSONRuleField(label=gettext_lazy("Event filter (optional)"), event_where=True, required=False)
    timeout_days = count_field(gettext_lazy("Timeout: days"))
    timeout_hours = count_field(gettext_lazy("hours"))
    timeout_minutes = count_field(gettext_lazy("minutes"))

    @classmethod
    def initial_from(cls, config):
        timeout = config.get("timeout") or {}
        return {"event": config.get("event", ""), "where": config.get("where"), "timeout_days": timeout.get("days"),
                "timeout_hours": timeout.get("hours"), "timeout_minutes": timeout.get("minutes")}

    def clean(self):
        data = super().clean()
        if not any(data.get("timeout_" + unit) for unit in ("days", "hours", "minutes")):
            self.add_error("timeout_days", _("A wait needs a timeout; members leave through the timeout exit then."))
        return data

    def config(self):
        config = {"event": self.cleaned_data["event"], "timeout": self.duration("timeout_")}
        if self.cleaned_data.get("where"):
            config["where"] = self.cleaned_data["where"]
        return config


class ConditionForm(NodeForm):
    type = "condition"
    mode = forms.ChoiceField(label=gettext_lazy("Check"),
                             choices=[("rule", gettext_lazy("a rule")), ("segment", gettext_lazy("segment membership"))],
                             widget=forms.RadioSelect)
    rule = JSONRuleField(label=gettext_lazy("Rule"), allow_goal=True, required=False,
                         help_text=gettext_lazy('e.g. {"goal": "first_order"} or {"tag": "vip"}'))
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—")] + list(Segment.objects.values_list("slug", "name"))

    @classmethod
    def initial_from(cls, config):
        if "segment" in config:
            return {"mode": "segment", "segment": config["segment"]}
        return {"mode": "rule", "rule": config.get("rule")}

    def clean(self):
        data = super().clean()
        if data.get("mode") == "segment" and not data.get("segment"):
            self.add_error("segment", _("Choose a segment."))
        if data.get("mode") == "rule" and not data.get("rule") and "rule" not in self.errors:
            self.add_error("rule", _("Write the rule members must match to leave through the yes exit."))
        return data

    def config(self):
        if self.cleaned_data["mode"] == "segment":
            return {"segment": self.cleaned_data["segment"]}
        return {"rule": self.cleaned_data["rule"]}


class SplitForm(NodeForm):
    """Variants as rows of key + weight; empty rows are ignored so the operator can add one."""

    type = "split"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MAX_VARIANTS):
            self.fields[f"variant_key_{i}"] = forms.CharField(label=gettext_lazy("Variant"), max_length=64, required=False)
            self.fields[f"variant_weight_{i}"] = forms.IntegerField(label=gettext_lazy("Weight"), min_value=1, max_value=10000,
                                                                    required=False)

    @classmethod
    def initial_from(cls, config):
        initial = {}
        for i, variant in enumerate((config.get("variants") or [])[:MAX_VARIANTS]):
            initial[f"variant_key_{i}"] = variant.get("key", "")
            initial[f"variant_weight_{i}"] = variant.get("weight")
        return initial

    def rows(self):
        """Bound field pairs for the template: the filled rows plus two empty ones to add variants."""
        pairs = [(self[f"variant_key_{i}"], self[f"variant_weight_{i}"]) for i in range(MAX_VARIANTS)]
        filled = [i for i, (k, w) in enumerate(pairs) if k.value() or w.value()]
        shown = (max(filled) + 1 if filled else 0) + 2
        return pairs[:min(shown, MAX_VARIANTS)]

    def clean(self):
        data = super().clean()
        variants, seen = [], set()
        for i in range(MAX_VARIANTS):
            key, weight = (data.get(f"variant_key_{i}") or "").strip(), data.get(f"variant_weight_{i}")
            if not key and weight is None:
                continue
            if not KEY_RE.match(key):
                self.add_error(f"variant_key_{i}", _("Lower-case letters, digits, _ and -."))
            elif key in seen:
                self.add_error(f"variant_key_{i}", _("Each variant needs its own key."))
            if weight is None:
                self.add_error(f"variant_weight_{i}", _("Give a weight above 0."))
            seen.add(key)
            variants.append({"key": key, "weight": weight})
        if len(variants) < 2:
            self.add_error(None, _("A split needs at least two variants."))
        self.variants = variants
        return data

    def config(self):
        return {"variants": self.variants}


class SendForm(NodeForm):
    type = "send"
    channel = forms.ChoiceField(label=gettext_lazy("Channel"))
    template = forms.ChoiceField(label=gettext_lazy("Template"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channels = list(Channel.objects.order_by("name").values_list("key", "name", "kind"))
        self.fields["channel"].choices = [("", "—")] + [(key, f"{name} ({kind})") for key, name, kind in channels]
        templates = Template.objects.select_related("channel").order_by("channel__name", "slug")
        self.template_channels = {t.slug: t.channel.key for t in templates}
        self.fields["template"].choices = [("", "—")] + [
            (t.slug, f"{t.name or t.slug} · {t.channel.key}") for t in templates]

    @classmethod
    def initial_from(cls, config):
        return {"channel": config.get("channel", ""), "template": config.get("template", "")}

    def clean(self):
        data = super().clean()
        channel, template = data.get("channel"), data.get("template")
        if channel and template and self.template_channels.get(template) != channel:
            self.add_error("template", _("Template %(template)s belongs to channel %(channel)s.")
                           % {"template": template, "channel": self.template_channels.get(template)})
        return data

    def config(self):
        return {"channel": self.cleaned_data["channel"], "template": self.cleaned_data["template"]}


class ActionForm(NodeForm):
    type = "action"
    KINDS = [("add_tag", gettext_lazy("Add a tag")), ("remove_tag", gettext_lazy("Remove a tag")),
             ("set_attribute", gettext_lazy("Set an attribute")), ("grant_points", gettext_lazy("Grant points")),
             ("grant_coupon", gettext_lazy("Grant a coupon")), ("webhook", gettext_lazy("Call a webhook"))]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=KINDS)
    tag = slug_field(gettext_lazy("Tag"), required=False)
    attribute = slug_field(gettext_lazy("Attribute"), required=False)
    value = forms.CharField(label=gettext_lazy("Value"), max_length=200, required=False)
    points = forms.IntegerField(label=gettext_lazy("Points"), min_value=1, max_value=1_000_000, required=False)
    coupon = slug_field(gettext_lazy("Coupon code"), required=False)
    url = forms.URLField(label=gettext_lazy("Webhook URL"), required=False, assume_scheme="https")

    @classmethod
    def initial_from(cls, config):
        if "set_attribute" in config:
            (attribute, value), *_rest = list((config["set_attribute"] or {"": ""}).items())
            return {"action": "set_attribute", "attribute": attribute, "value": value}
        if "grant_points" in config:
            return {"action": "grant_points", "points": config["grant_points"]}
        if "grant_coupon" in config:
            return {"action": "grant_coupon", "coupon": config["grant_coupon"]}
        if "webhook" in config:
            return {"action": "webhook", "url": (config["webhook"] or {}).get("url", "")}
        if "remove_tag" in config:
            return {"action": "remove_tag", "tag": config["remove_tag"]}
        return {"action": "add_tag", "tag": config.get("add_tag", "")}

    NEEDS = {"add_tag": "tag", "remove_tag": "tag", "set_attribute": "attribute", "grant_points": "points",
             "grant_coupon": "coupon", "webhook": "url"}

    def clean(self):
        data = super().clean()
        needed = self.NEEDS.get(data.get("action"))
        if needed and not data.get(needed) and needed not in self.errors:
            self.add_error(needed, _("Required for this action."))
        return data

    def config(self):
        data = self.cleaned_data
        action = data["action"]
        if action in ("add_tag", "remove_tag"):
            return {action: data["tag"]}
        if action == "set_attribute":
            return {"set_attribute": {data["attribute"]: data["value"]}}
        if action == "grant_points":
            return {"grant_points": data["points"]}
        if action == "grant_coupon":
            return {"grant_coupon": data["coupon"]}
        return {"webhook": {"url": data["url"]}}


class ExitForm(NodeForm):
    type = "exit"


FORMS = {form.type: form for form in (EntryForm, DelayForm, WaitForm, ConditionForm, SplitForm, SendForm, ActionForm, ExitForm)}


class SettingsForm(forms.Form):
    """The journey's name, description and `settings` (goals, exits, re-entry, quiet hours, cap)."""

    MAX_GOALS = 5
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    timezone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64, initial="Asia/Shanghai")
    reentry = forms.ChoiceField(label=gettext_lazy("Re-entry"), choices=[
        ("never", gettext_lazy("never")), ("after", gettext_lazy("after N days")),
        ("always", gettext_lazy("always (one open enrolment at a time)"))])
    reentry_days = forms.IntegerField(label=gettext_lazy("Days before re-entry"), min_value=1, max_value=3650, required=False)
    exit_on = forms.CharField(label=gettext_lazy("Exit at once on events"), required=False, max_length=300,
                              help_text=gettext_lazy("Comma-separated event names, e.g. unsubscribed"))
    quiet_start = forms.CharField(label=gettext_lazy("Quiet hours from"), required=False, max_length=5)
    quiet_end = forms.CharField(label=gettext_lazy("to"), required=False, max_length=5)
    cap_max = forms.IntegerField(label=gettext_lazy("At most … messages"), min_value=1, max_value=1000, required=False)
    cap_hours = forms.IntegerField(label=gettext_lazy("per … hours"), min_value=1, max_value=24 * 365, required=False)
    priority = forms.IntegerField(label=gettext_lazy("Priority"), required=False, min_value=-1000, max_value=1000,
                                  help_text=gettext_lazy("When the frequency cap bites, higher priority journeys send first."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(self.MAX_GOALS):
            self.fields[f"goal_key_{i}"] = forms.CharField(label=gettext_lazy("Goal"), max_length=64, required=False)
            self.fields[f"goal_event_{i}"] = slug_field(gettext_lazy("Event"), required=False)
            self.fields[f"goal_nth_{i}"] = forms.IntegerField(label=gettext_lazy("Nth"), min_value=1, max_value=100, required=False)
            self.fields[f"goal_window_{i}"] = forms.IntegerField(label=gettext_lazy("Within days"), min_value=1, max_value=3650,
                                                                 required=False)

    @classmethod
    def for_document(cls, document, **kwargs):
        settings = document.get("settings") or {}
        reentry = settings.get("reentry") or {"mode": "never"}
        quiet = settings.get("quiet_hours") or {}
        cap = settings.get("frequency_cap") or {}
        initial = {"name": document.get("name", ""), "description": document.get("description", ""),
                   "timezone": settings.get("timezone", "Asia/Shanghai"), "reentry": reentry.get("mode", "never"),
                   "reentry_days": reentry.get("days"), "exit_on": ", ".join(settings.get("exit_on") or []),
                   "quiet_start": quiet.get("start", ""), "quiet_end": quiet.get("end", ""),
                   "cap_max": cap.get("max"), "cap_hours": cap.get("per_hours"), "priority": settings.get("priority")}
        for i, goal in enumerate((settings.get("goals") or [])[:cls.MAX_GOALS]):
            initial.update({f"goal_key_{i}": goal.get("key"), f"goal_event_{i}": goal.get("event"),
                            f"goal_nth_{i}": goal.get("nth"), f"goal_window_{i}": goal.get("window_days")})
        return cls(initial=initial, **kwargs)

    def goal_rows(self):
        return [[self[f"goal_{part}_{i}"] for part in ("key", "event", "nth", "window")] for i in range(self.MAX_GOALS)]

    def clean_timezone(self):
        from zoneinfo import available_timezones

        value = self.cleaned_data["timezone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError(_("Unknown time zone, e.g. Asia/Shanghai."))
        return value

    def clean(self):
        data = super().clean()
        for name in ("quiet_start", "quiet_end"):
            if data.get(name) and not HHMM_RE.match(data[name]):
                self.add_error(name, _("Use 24-hour HH:MM, e.g. 22:00."))
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        if bool(data.get("cap_max")) != bool(data.get("cap_hours")):
            self.add_error("cap_hours", _("Give both the number of messages and the hours, or neither."))
        if data.get("reentry") == "after" and not data.get("reentry_days"):
            self.add_error("reentry_days", _("How many days?"))
        goals, seen = [], set()
        for i in range(self.MAX_GOALS):
            key, event = (data.get(f"goal_key_{i}") or "").strip(), data.get(f"goal_event_{i}")
            if not key and not event:
                continue
            if not KEY_RE.match(key):
                self.add_error(f"goal_key_{i}", _("Lower-case letters, digits, _ and -."))
            elif key in seen:
                self.add_error(f"goal_key_{i}", _("Each goal needs its own key."))
            if not event:
                self.add_error(f"goal_event_{i}", _("Which event counts?"))
            if not data.get(f"goal_window_{i}") and f"goal_window_{i}" not in self.errors:
                self.add_error(f"goal_window_{i}", _("Within how many days of enrolment?"))
            seen.add(key)
            goals.append({"key": key, "event": event, "nth": data.get(f"goal_nth_{i}") or 1,
                          "window_days": data.get(f"goal_window_{i}")})
        self.goals = goals
        return data

    def apply(self, document):
        """The document with this form's name, description and settings; nodes and edges untouched."""
        data = self.cleaned_data
        settings = dict(document.get("settings") or {})
        settings["timezone"] = data["timezone"]
        settings["reentry"] = {"mode": data["reentry"]}
        if data["reentry"] == "after":
            settings["reentry"]["days"] = data["reentry_days"]
        settings["goals"] = self.goals
        settings["exit_on"] = [e.strip() for e in data.get("exit_on", "").split(",") if e.strip()]
        for key, value in (("quiet_hours", data.get("quiet_start") and {"start": data["quiet_start"], "end": data["quiet_end"]}),
                           ("frequency_cap", data.get("cap_max") and {"max": data["cap_max"], "per_hours": data["cap_hours"]})):
            if value:
                settings[key] = value
            else:
                settings.pop(key, None)
        if data.get("priority") is not None:
            settings["priority"] = data["priority"]
        else:
            settings.pop("priority", None)
        return {**document, "name": data["name"], "description": data.get("description", ""), "settings": settings}
