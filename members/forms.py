from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ImportJob, LifecycleStage, RFMGroup, Segment, Tag

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "placeholder": _("External id, name, phone or e-mail"), "type": "search"}))
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), to_field_name="name", required=False,
                                 empty_label=_("Any tag"))
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.all(), to_field_name="slug", required=False,
                                     empty_label=_("Any segment"))
    rfm = forms.ChoiceField(label=_("RFM group"), choices=[("", _("Any RFM group"))] + RFMGroup.choices, required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", _("Any stage"))] + LifecycleStage.choices, required=False)


class TagNameForm(forms.Form):
    name = forms.CharField(label=_("Tag"), max_length=64, widget=forms.TextInput(attrs={"placeholder": _("New tag")}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("A tag needs a name."))
        return name


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices, initial=ImportJob.Kind.MEMBERS)
    file = forms.FileField(label=_("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a .csv file."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


class SegmentForm(forms.Form):
    """Only carries the fields: members.segments.save_segment validates them (and the rule) in one place."""

    name = forms.CharField(label=_("Name"), required=False)
    slug = forms.CharField(label=_("Slug"), required=False, help_text=_("Used by journeys: entry and condition nodes name segments by slug."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rule = forms.CharField(widget=forms.HiddenInput, required=False)
