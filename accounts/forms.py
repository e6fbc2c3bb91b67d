from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OperatorProfile, timezone_choices


class PreferencesForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=[("", _("Default"))] + timezone_choices(), required=False)

    class Meta:
        model = OperatorProfile
        fields = ["timezone"]
