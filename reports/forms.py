from django import forms
from django.utils.translation import gettext_lazy as _


class PromoteForm(forms.Form):
    node = forms.CharField(widget=forms.HiddenInput)
    variant = forms.ChoiceField(label=_("Variant to promote"))
    keep_control = forms.BooleanField(label=_("Keep the control group"), required=False, initial=True)

    def __init__(self, *args, variants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [("", _("Choose a variant"))] + [(v, v) for v in variants]


class PolicyForm(forms.Form):
    node = forms.CharField(widget=forms.HiddenInput)
    auto_promote = forms.BooleanField(label=_("Promote the winner automatically"), required=False)
    alpha = forms.FloatField(label=_("False-winner rate (α)"), min_value=0.001, max_value=0.2, initial=0.05)
    min_members = forms.IntegerField(label=_("Minimum members per variant"), min_value=100, initial=1000)
    keep_control = forms.BooleanField(label=_("Keep the control group"), required=False, initial=True)
