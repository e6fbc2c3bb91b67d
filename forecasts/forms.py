import json

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Segment


class ForecastForm(forms.Form):
    population = forms.ChoiceField(label=_("Members"), choices=[("recent", _("Recently registered")), ("segment", _("A segment"))],
                                   initial="recent")
    recent_days = forms.IntegerField(label=_("Registered in the last (days)"), min_value=1, max_value=365, initial=30, required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.order_by("name"), to_field_name="slug",
                                     required=False, empty_label=_("— choose —"))
    days = forms.IntegerField(label=_("Period (days)"), min_value=1, max_value=180, initial=30)
    limit = forms.IntegerField(label=_("At most (members)"), min_value=1, max_value=5000, initial=2000)

    def clean(self):
        data = super().clean()
        if data.get("population") == "segment" and not data.get("segment"):
            self.add_error("segment", _("Choose a segment."))
        if data.get("population") == "recent" and not data.get("recent_days"):
            self.add_error("recent_days", _("Enter a number of days."))
        return data

    def params(self):
        data = self.cleaned_data
        params = {"population": data["population"], "days": data["days"], "limit": data["limit"]}
        if data["population"] == "segment":
            params["segment"] = data["segment"].slug
        else:
            params["recent_days"] = data["recent_days"]
        return params


class TraceForm(forms.Form):
    source = forms.ChoiceField(label=_("Journey"), choices=[("draft", _("Draft")), ("live", _("Published version"))], initial="draft")
    member = forms.CharField(label=_("Member (external id)"), required=False, max_length=128,
                             help_text=_("Leave empty to test the profile below."))
    attributes = forms.CharField(label=_("Profile attributes (JSON)"), required=False, initial="{}",
                                 widget=forms.TextInput(attrs={"placeholder": '{"city": "上海"}'}))
    tags = forms.CharField(label=_("Profile tags (comma-separated)"), required=False, max_length=500)
    registered_days_ago = forms.IntegerField(label=_("Registered days ago"), min_value=0, max_value=3650, initial=0)
    events = forms.CharField(label=_("Events"), required=False, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "order_paid 4"}),
                             help_text=_("One per line: event name, day and optionally hour, e.g. “order_paid 4 10”."))
    days = forms.IntegerField(label=_("Test period (days)"), min_value=1, max_value=180, initial=30)

    def clean_attributes(self):
        text = self.cleaned_data["attributes"].strip() or "{}"
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Enter a JSON object, e.g. {\"city\": \"上海\"}.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Enter a JSON object, e.g. {\"city\": \"上海\"}."))
        return value

    def clean_events(self):
        events = []
        for number, line in enumerate(self.cleaned_data["events"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                day = float(parts[1]) if len(parts) > 1 else 0.0
                hour = float(parts[2]) if len(parts) > 2 else 0.0
            except ValueError:
                raise forms.ValidationError(_("Line %(n)s: write the event name, then the day (and hour) as numbers.") % {"n": number}) from None
            if len(parts) > 3:
                raise forms.ValidationError(_("Line %(n)s: write the event name, then the day (and hour) as numbers.") % {"n": number})
            events.append({"name": parts[0], "day": day, "hour": hour})
        return events

    def payload(self):
        data = self.cleaned_data
        payload = {"source": data["source"], "days": data["days"], "events": data["events"]}
        if data["member"].strip():
            payload["member"] = data["member"].strip()
        else:
            payload["profile"] = {"attributes": data["attributes"], "registered_days_ago": data["registered_days_ago"],
                                  "tags": [t.strip() for t in data["tags"].split(",") if t.strip()]}
        return payload
