from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OperatorProfile, timezone_choices


class PreferencesForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=[("", _("Default"))] + timezone_choices(), required=False)

    class Meta:
        model = OperatorProfile
        fields = ["timezone"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, strip=True,
                           help_text=_("What the token is for, e.g. “POS event feed”."))
