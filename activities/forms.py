"""The activity form, its edit and cancel forms, and the list's filters; usable on a phone.

The form is the one every path that registers from a person's input uses, the page and (when
it lands) the field sync: `ActivityForm(data, service=...)` then `actions.register_activity`.
Its places use the same `/geo/` option lists as the intake form, which field mode answers offline.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.dates import DateInput
from services.forms import SearchChoiceField
from services.models import CareService, Community, District, Province
from services.rules import add_to_form

from . import registry, rules
from .models import Activity


def place_code(value) -> str | None:
    """A submitted INEI code as a query may use it: digits only, else none (a NUL byte, which
    PostgreSQL refuses, never reaches a query; the field itself then says it is not valid)."""
    value = value if isinstance(value, str) else ""
    return value if value.isascii() and value.isdigit() and len(value) <= 6 else None


def type_choices(empty_label) -> list[tuple[str, str]]:
    return [("", empty_label), *registry.choices()]


class ActivityForm(forms.ModelForm):
    """Register or edit an activity of `service`. The place is chosen province → district →
    community within the service's region; a missing community can be added by name."""

    province = forms.ModelChoiceField(
        Province.objects.none(),
        label=_("Province"),
        required=False,
        empty_label=_("Choose a province"),
    )
    new_community = forms.CharField(
        label=_("Community not in the list"),
        required=False,
        max_length=150,
        help_text=_("Write its name to add it to the district."),
    )

    class Meta:
        model = Activity
        fields = [
            "date",
            "duration_hours",
            "type",
            "topic",
            "district",
            "community",
            "women",
            "men",
            "girls",
            "boys",
            "partners",
        ]
        widgets = {
            "date": DateInput(),
            "duration_hours": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.25"}),
            **{
                name: forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"})
                for name in rules.PARTICIPANT_FIELDS
            },
        }

    def __init__(self, *args, service: CareService, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["type"].choices = type_choices(_("Choose a type"))
        self.fields["district"].empty_label = _("Choose a district")
        self.fields["community"].empty_label = _("No community / not known")
        self.fields["community"].error_messages["invalid_choice"] = _(
            "This community does not belong to the chosen district."
        )
        self.fields["province"].error_messages["invalid_choice"] = _(
            "The province is outside the region of the service."
        )
        self._narrow_places()
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("date", timezone.localdate())
        self.helper = self._helper()

    @property
    def region_code(self) -> str:
        return (self.service.district_id or "")[:2]

    def _selected(self, name: str) -> str | None:
        """The place chosen for `name`: from the submitted data, else the activity's, else (new)
        the service's own district, where most of its work is."""
        if self.is_bound:
            return place_code(self.data.get(self.add_prefix(name)))
        district = self.instance.district_id or self.service.district_id
        if not district:
            return None
        return {"province": district[:4], "district": district}[name]

    def _narrow_places(self) -> None:
        """Offer (and accept) the provinces of the service's region, the districts of the chosen
        province (of the region, when none is chosen: the field sync may send the district
        alone) and the communities of the chosen district."""
        province, district = self._selected("province"), self._selected("district")
        if not self.is_bound and district:
            self.initial.update(province=province, district=district)
        self.fields["province"].queryset = Province.objects.filter(region_id=self.region_code)
        districts = District.objects.filter(province__region_id=self.region_code)
        self.fields["district"].error_messages["invalid_choice"] = _(
            "The district is outside the region of the service."
        )
        if province:
            districts = districts.filter(province_id=province)
            self.fields["district"].error_messages["invalid_choice"] = _(
                "This district does not belong to the chosen province."
            )
        self.fields["district"].queryset = districts
        self.fields["community"].queryset = Community.objects.filter(district_id=district or "")
        self.fields["province"].widget.attrs.update(
            {"data-children-url": reverse_lazy("geo_districts"), "data-child": "district"}
        )
        self.fields["district"].widget.attrs.update(
            {"data-children-url": reverse_lazy("geo_communities"), "data-child": "community"}
        )

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True

        def row(*names, css="col-12 col-md"):
            return Row(*[Column(Field(name), css_class=css) for name in names])

        helper.layout = Layout(
            Fieldset(
                _("The activity"),
                row("date", "duration_hours"),
                "type",
                "topic",
                "partners",
            ),
            Fieldset(
                _("Place"),
                row("province", "district"),
                row("community", "new_community"),
            ),
            Fieldset(
                _("Participants"),
                row(*rules.PARTICIPANT_FIELDS, css="col-6 col-md-3"),
            ),
        )
        return helper

    # Every rule lives in activities/rules.py, shared with the actions, the import and the sync;
    # the form only shows its problems next to the fields.

    def clean(self):
        data = super().clean()
        values = {name: data[name] for name in self._meta.fields if name in data}
        values["new_community"] = data.get("new_community", "")
        add_to_form(self, rules.clean_activity(values, service=self.service))
        data.update(values)
        name, district = values["new_community"], data.get("district")
        if (
            name
            and district is not None
            and not data.get("community")
            and Community.objects.filter(district=district, name__iexact=name).exists()
        ):
            self.add_error(
                "new_community",
                _("This district already has a community with that name: choose it in the list."),
            )
        return data

    def activity_data(self) -> dict:
        """The cleaned values of the Activity fields, for `register_activity` /
        `update_activity`."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class EditActivityForm(ActivityForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version


class CancelActivityForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=rules.REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: registered twice, or registered in the wrong service."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        problems = rules.cancel_problems(reason)
        if problems:
            raise forms.ValidationError(problems[0][1])
        return rules.tidy(reason)


class ActivityFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    type = forms.ChoiceField(label=_("Type"), required=False)
    district = SearchChoiceField(
        District.objects.none(),
        label=_("District"),
        required=False,
        search_url=reverse_lazy("activity_district_search"),
        help_text=_("Type two letters of its name, or its ubigeo, and choose."),
    )
    community = forms.ModelChoiceField(
        Community.objects.none(),
        label=_("Community"),
        required=False,
        empty_label=_("All"),
        help_text=_("Choose a district first."),
    )

    def __init__(self, *args, districts, **kwargs):
        """`districts`: the districts the asker's activities reached (`districts_reached`), up
        to the whole country's for a national manager. The district is a search-as-you-type
        field that takes the ubigeo (`services.forms.SearchChoiceField`): only the one typed is
        looked up, so the page and its queries do not grow with the districts reached. The
        communities are those of that one district, a short list."""
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices(_("Any type"))
        self.fields["district"].queryset = districts
        self.fields["district"].widget.attrs.update(
            {"data-children-url": reverse_lazy("geo_communities"), "data-child": "community"}
        )
        typed = self.data.get("district") if self.is_bound else None
        chosen = place_code(typed.strip()) if isinstance(typed, str) else None
        if chosen:
            self.fields["community"].queryset = Community.objects.filter(district_id=chosen)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

    def filter(self, activities):
        """Narrow `activities` by the filters; when one is wrong, by none (it says so)."""
        if not self.is_valid():
            return activities
        data = self.cleaned_data
        if data["date_from"]:
            activities = activities.filter(date__gte=data["date_from"])
        if data["date_to"]:
            activities = activities.filter(date__lte=data["date_to"])
        if data["type"]:
            activities = activities.filter(type=data["type"])
        if data["district"]:
            activities = activities.filter(district=data["district"])
        if data["community"]:
            activities = activities.filter(community=data["community"])
        return activities
