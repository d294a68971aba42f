"""The forms the field page renders for the device, made from the online forms' own fields."""

from __future__ import annotations

import copy

from crispy_forms.layout import Field
from django import forms
from django.utils.translation import gettext_lazy as _

from activities.forms import ActivityForm
from cases.forms import CaseActionForm, CaseForm

# The case fields a caseworker may change offline on a case she took along.
EDIT_FIELDS = ("risk_level",)


class FieldActionForm(CaseActionForm):
    """The follow-up form of `CaseActionForm`, drawn without a case (the device fills it in for
    each case it holds). Only for rendering: the sync validates with `CaseActionForm` itself."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("case", None)
        super().__init__(*args, **kwargs)


class FieldEditForm(forms.Form):
    """The case form's `EDIT_FIELDS`, with its labels and choices, for the edits made offline.
    Only for rendering: the sync validates with `EditCaseForm` on top of the stored case."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in EDIT_FIELDS:
            self.fields[name] = copy.deepcopy(CaseForm.base_fields[name])


class FieldActivityForm(ActivityForm):
    """The activity form of `ActivityForm` (its fields, labels, widgets and layout), drawn for
    the device, with a choice of her services first. Only for rendering: the sync validates with
    `ActivityForm` itself.

    The page is cached for days: nothing in it depends on the day or on a place. The device
    sets the date and fills the places from the trip's geography (`/api/v1/field/geography/`)
    for the service chosen, and the types from the trip's package."""

    service = forms.ChoiceField(label=_("Service"))

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, service=services[0], **kwargs)
        self.fields["service"].choices = [(service.code, service.name) for service in services]
        for name in ("province", "district", "community"):
            self.fields[name].queryset = self.fields[name].queryset.none()
        self.initial = {}
        self.helper.layout.insert(0, Field("service"))
