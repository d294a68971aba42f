"""Forms of the shelter pages: admission (a woman and a formset of her children), discharge,
transfer and the shelter's own data. In Spanish, usable on a phone."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from services.dates import DateInput, not_in_future
from services.forms import KeyCheckingMultipleChoiceField, NamedModelForm
from services.models import CareService
from services.rules import MAX_AGE, add_to_form

from . import rules
from .actions import Arrival
from .models import Sex, Shelter, Stay


def check_age(form: forms.Form, data: dict, on: date | None, age_field: str, born_field: str):
    """Need the age or the birth date; when both are given they must agree on `on` (the rule
    lives in shelters/rules.py, shared with the import and the actions)."""
    if age_field in form.errors or born_field in form.errors:
        return
    age, problems = rules.person_age(
        age=data.get(age_field),
        born=data.get(born_field),
        on=on,
        age_field=age_field,
        born_field=born_field,
    )
    add_to_form(form, problems)
    if not problems:
        data[age_field] = age


def _age_field(label, help_text=""):
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_AGE, help_text=help_text
    )


class AdmissionForm(forms.Form):
    """The admission itself and the woman; her children come in a formset of `ChildForm`."""

    admitted_on = forms.DateField(label=_("Admission date"), widget=DateInput())
    planned_discharge_on = forms.DateField(
        label=_("Planned discharge date"),
        required=False,
        widget=DateInput(),
        help_text=_("Optional; the board shows who is due to leave within a week."),
    )
    case_code = forms.CharField(
        label=_("Referring case"),
        required=False,
        max_length=40,
        help_text=_(
            "The code of the case that referred her, if any (for example SAR-…-2024-00012)."
        ),
    )
    referring_service = forms.ModelChoiceField(
        CareService.objects.none(),
        label=_("Referring service"),
        required=False,
        empty_label=_("None / not known"),
    )
    woman_name = forms.CharField(
        label=_("Woman's full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    woman_birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    woman_age = _age_field(_("Age"), _("Completed years on the admission date."))

    def __init__(self, *args, shelter: Shelter, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.shelter = shelter
        self.cases = cases
        today = timezone.localdate()
        self.fields["referring_service"].queryset = CareService.objects.active_between(
            today, today
        ).order_by("kind", "name")
        self.initial.setdefault("admitted_on", today)

    def clean_admitted_on(self):
        admitted = self.cleaned_data["admitted_on"]
        not_in_future(admitted, _("The admission date cannot be in the future."))
        if not self.shelter.is_open_on(admitted):
            raise forms.ValidationError(
                _("The shelter is not open on that date."), code="shelter_closed"
            )
        return admitted

    def clean_woman_birth_date(self):
        born = self.cleaned_data.get("woman_birth_date")
        not_in_future(born, _("The birth date cannot be in the future."))
        return born

    def clean_case_code(self):
        code = self.cleaned_data.get("case_code", "").strip().upper()
        if not code:
            return None
        case = self.cases.select_related("service").filter(code=code).first()
        if case is None:
            raise forms.ValidationError(
                _("No case with this code was referred to a shelter in your region."),
                code="unknown_case",
            )
        return case

    def clean(self):
        data = super().clean()
        admitted = data.get("admitted_on")
        add_to_form(
            self,
            rules.stay_dates_problems(
                admitted_on=admitted, planned_discharge_on=data.get("planned_discharge_on")
            ),
        )
        check_age(self, data, admitted, "woman_age", "woman_birth_date")
        if data.get("case_code") and not data.get("referring_service"):
            data["referring_service"] = data["case_code"].service
        return data

    def woman(self) -> Arrival:
        data = self.cleaned_data
        return Arrival(
            role=Stay.Role.WOMAN,
            sex=Sex.FEMALE,
            full_name=data["woman_name"],
            age=data["woman_age"],
            birth_date=data["woman_birth_date"],
        )


class ChildForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    sex = forms.TypedChoiceField(
        label=_("Sex"), choices=[("", _("Choose")), *Sex.choices], coerce=int
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    age = _age_field(_("Age"))

    def __init__(self, *args, admitted_on: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.admitted_on = admitted_on

    def clean_birth_date(self):
        born = self.cleaned_data.get("birth_date")
        not_in_future(born, _("The birth date cannot be in the future."))
        return born

    def clean(self):
        data = super().clean()
        check_age(self, data, self.admitted_on, "age", "birth_date")
        return data

    def arrival(self) -> Arrival:
        data = self.cleaned_data
        return Arrival(
            role=Stay.Role.CHILD,
            sex=data["sex"],
            full_name=data["full_name"],
            age=data["age"],
            birth_date=data["birth_date"],
        )


MAX_CHILDREN = 15


class ShelterForm(NamedModelForm):
    """What the region's shelter staff keep of a shelter (its name goes into the reports)."""

    class Meta:
        model = Shelter
        fields = ["name", "address", "capacity", "closed_on"]
        widgets = {"closed_on": DateInput()}

    def clean_closed_on(self):
        closed = self.cleaned_data.get("closed_on")
        if closed and closed < self.instance.opened_on:
            raise forms.ValidationError(
                _("The closing date cannot be before the opening date."), code="before_opening"
            )
        return closed


def resident_role(stay: Stay) -> str:
    """Who she or he is in the family, in one word: the woman, or her daughter or son."""
    if stay.role != Stay.Role.CHILD:
        return stay.get_role_display()
    return str(_("Son") if stay.person.sex == Sex.MALE else _("Daughter"))


class FamilyStaysField(KeyCheckingMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, stay: Stay) -> str:
        name = stay.person.full_name or str(stay.person)
        years = stay.age_at_admission
        age = ngettext("%(age)d year", "%(age)d years", years) % {"age": years}
        return f"{name} · {resident_role(stay)} · {age}"


class _FamilyForm(forms.Form):
    stays = FamilyStaysField(Stay.objects.none())
    who = _("Who")

    def __init__(self, *args, stays: list[Stay], **kwargs):
        super().__init__(*args, **kwargs)
        self.family = stays
        self.fields["stays"].label = self.who
        self.fields["stays"].queryset = (
            Stay.objects.filter(pk__in=[stay.pk for stay in stays])
            .select_related("person")
            .order_by("-role", "pk")
        )
        self.initial.setdefault("stays", [stay.pk for stay in stays])

    def _check_date(self, day: date) -> date:
        not_in_future(day, _("The date cannot be in the future."))
        admitted = max(stay.admitted_on for stay in self.family)
        if day < admitted:
            raise forms.ValidationError(
                _("The date cannot be before the admission date (%(date)s)."),
                params={"date": admitted.strftime("%d/%m/%Y")},
                code="before_admission",
            )
        return day


class DischargeForm(_FamilyForm):
    who = _("Who leaves")
    discharged_on = forms.DateField(label=_("Discharge date"), widget=DateInput())
    reason = forms.ChoiceField(
        label=_("Discharge reason"),
        choices=[
            ("", _("Choose")),
            *[
                choice
                for choice in Stay.DischargeReason.choices
                if choice[0] != Stay.DischargeReason.TRANSFERRED
            ],
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("discharged_on", timezone.localdate())

    def clean_discharged_on(self):
        return self._check_date(self.cleaned_data["discharged_on"])


class DestinationField(forms.ModelChoiceField):
    """Offers the shelters with room for everyone who moves (name, region, free beds; never
    the address), and accepts any open one: a shelter that filled up since the page was drawn is
    refused by the transfer itself, which says how many beds are free."""

    accepted = Shelter.objects.none()

    def label_from_instance(self, shelter: Shelter) -> str:
        free = ngettext("%(count)d free bed", "%(count)d free beds", shelter.free) % {
            "count": shelter.free
        }
        return f"{shelter.name} · {shelter.district.province.region.name} · {free}"

    def to_python(self, value):
        offered = self.queryset
        self.queryset = self.accepted
        try:
            return super().to_python(value)
        finally:
            self.queryset = offered


class TransferForm(_FamilyForm):
    """Move people of one family to any open shelter in the country that has room for them.

    `destinations(people)` gives the open shelters with at least `people` free beds, with
    `occupied` and their region (`shelters.queries.transfer_destinations`).
    """

    who = _("Who moves")
    to_shelter = DestinationField(
        Shelter.objects.none(),
        label=_("Destination shelter"),
        empty_label=_("Choose a shelter"),
        help_text=_("Open shelters anywhere in the country with a free bed for each person."),
    )
    transferred_on = forms.DateField(label=_("Transfer date"), widget=DateInput())
    planned_discharge_on = forms.DateField(
        label=_("Planned discharge date"), required=False, widget=DateInput()
    )

    def __init__(self, *args, destinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.moving = self._people_moving()
        field = self.fields["to_shelter"]
        field.accepted = destinations(0)
        field.queryset = destinations(self.moving)
        self.has_destinations = field.queryset.exists()
        self.initial.setdefault("transferred_on", timezone.localdate())

    def _people_moving(self) -> int:
        """How many beds the transfer needs: the people ticked, or the whole family."""
        family = {str(stay.pk) for stay in self.family}
        if self.is_bound:
            name = self.add_prefix("stays")
            if hasattr(self.data, "getlist"):
                posted = self.data.getlist(name)
            else:
                posted = self.data.get(name) or []
            posted = [posted] if isinstance(posted, str | int) else posted
            ticked = family.intersection(str(value) for value in posted)
            if ticked:
                return len(ticked)
        return len(family)

    def clean_transferred_on(self):
        return self._check_date(self.cleaned_data["transferred_on"])

    def clean(self):
        data = super().clean()
        # The move is an admission there: the same rule (a future move has its own error).
        add_to_form(
            self,
            rules.stay_dates_problems(
                admitted_on=data.get("transferred_on"),
                planned_discharge_on=data.get("planned_discharge_on"),
            ),
        )
        return data
