"""The forms the field page renders for the device, made from the online forms' own fields."""

from __future__ import annotations

import copy

from django import forms

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
