"""Page forms. They parse and present; services.save_* decide what is valid and write."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey

from .channels.registry import BACKENDS
from .models import Channel, Delivery, QuietPeriod, Template


class JSONText(forms.CharField):
    """A JSON object typed into a textarea; empty means {}."""

    widget = forms.Textarea(attrs={"rows": 5, "class": "mono", "spellcheck": "false"})

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return {}
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_("Enter a JSON object, e.g. {\"key\": \"value\"}."))
        return parsed


class ChannelForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=64, help_text=_("Journeys refer to the channel by this key."))
    name = forms.CharField(label=_("Name"), max_length=128, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    backend = forms.ChoiceField(label=_("Backend"), choices=[(name, name) for name in BACKENDS],
                                help_text=_("console logs messages; webhook POSTs signed JSON; the others call a provider."))
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    cost_per_message = forms.DecimalField(label=_("Cost per message"), max_digits=8, decimal_places=4, min_value=0, initial=0)
    rate_per_minute = forms.IntegerField(label=_("Send rate per minute"), min_value=1, required=False,
                                         help_text=_("Empty: no limit."))
    max_attempts = forms.IntegerField(label=_("Attempts before giving up"), min_value=1, max_value=20, initial=5)
    config = JSONText(label=_("Settings (JSON)"), required=False)
    credentials = JSONText(label=_("Credentials (JSON, write-only)"), required=False,
                           help_text=_("Leave empty to keep the stored credentials."))
    secret = forms.CharField(label=_("Signing secret"), required=False, max_length=128,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                             help_text=_("Signs webhooks and verifies receipts. Leave empty to keep the stored one."))

    def service_data(self):
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("credentials", "config")}
        data["config"] = {**self.cleaned_data["config"], **self.cleaned_data["credentials"]}
        return data


class TestSendForm(forms.Form):
    member = forms.CharField(label=_("Member (external id)"), max_length=128)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}),
                           initial=_("Test message for {{ member.name }}"))


class TemplateForm(forms.Form):
    slug = forms.SlugField(label=_("Slug"), max_length=64, help_text=_("Send nodes refer to the template by this slug."))
    name = forms.CharField(label=_("Name"), max_length=128, required=False)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.all(), to_field_name="key")
    subject = forms.CharField(label=_("Subject / title"), max_length=200, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))
    fields = JSONText(label=_("Fields (JSON)"), required=False,
                      help_text=_('WeChat / mini-program: {"template_id": "…", "data": {"thing1": "{{ member.name }}"}}'))


class PreviewForm(TemplateForm):
    """The editor's live preview: same fields (slug optional) plus the member to render for."""

    slug = forms.CharField(required=False)
    body = forms.CharField(required=False)
    member = forms.CharField(label=_("Preview for member"), max_length=128, required=False)


class DeliveryFilterForm(forms.Form):
    member = forms.CharField(label=_("Member"), max_length=128, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("external id")}))
    journey = forms.ModelChoiceField(label=_("Journey"), queryset=Journey.objects.order_by("name"), required=False,
                                     empty_label=_("Any journey"))
    node = forms.CharField(label=_("Node"), max_length=64, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("node key")}))
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any status"))] + list(Delivery.Status.choices), required=False)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.all(), to_field_name="key", required=False,
                                     empty_label=_("Any channel"))
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class QuietPeriodForm(forms.ModelForm):
    class Meta:
        model = QuietPeriod
        fields = ["name", "start_date", "end_date", "resume_at"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "resume_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The last day cannot be before the first day."))
        return data


def template_initial(template):
    return {"slug": template.slug, "name": template.name, "channel": template.channel, "subject": template.subject,
            "body": template.body, "fields": json.dumps(template.fields, ensure_ascii=False, indent=2) if template.fields else ""}


def channel_initial(channel, public_config):
    return {"key": channel.key, "name": channel.name, "kind": channel.kind, "backend": channel.backend,
            "enabled": channel.enabled, "cost_per_message": channel.cost_per_message,
            "rate_per_minute": channel.rate_per_minute, "max_attempts": channel.max_attempts,
            "config": json.dumps(public_config, ensure_ascii=False, indent=2) if public_config else ""}
