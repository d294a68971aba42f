"""The intake form and the follow-up forms of a case, in Spanish, usable on a phone."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, Row
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from services.dates import DateInput, ServiceDateTimeField, not_in_future
from services.forms import SearchChoiceField, refuse_unstorable_text
from services.models import CareService, Community, District, Province, Region
from services.rules import add_to_form, name_problems

from . import clock, registry, rules
from .models import Case, CaseAction, Complaint, FollowUp, ProtectionMeasure, Referral
from .queries import earlier_cases_count

NEW_CONDITION = 1  # CONDICION 1 = Nuevo: first time attended anywhere in the network
# Unknown only in imported records: the intake form asks for them.
REQUIRED_IN_FORM = ("entry_route", "aggressor_sex", "relationship")


class ViolenceActsWidget(forms.CheckboxSelectMultiple):
    """Checkboxes that carry their violence type, so the page shows only the chosen type's."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"]["data-violence-type"] = ACT_TYPES.get(value, "")
        return option


ACT_TYPES = {var.name: str(code) for code, acts in registry.violence_acts().items() for var in acts}
ACT_CHOICES = [
    (var.name, registry.act_label(var))
    for acts in registry.violence_acts().values()
    for var in acts
]


def repeat_message() -> str:
    return _(
        "This document already has earlier cases in the network, so the case is not new: "
        "choose Reingreso (another aggressor) or Reincidente (the same aggressor)."
    )


class Section(Fieldset):
    """A part of the form that folds (a native <details>, no library). Its summary names it and,
    when one of its fields holds an error, says so; static/js/case_form.js keeps that up to date.

    Open: after a failed submit, the sections holding an error; otherwise the first section
    (case_form.js opens them all on wide screens)."""

    def __init__(self, legend, *fields, first=False, **kwargs):
        super().__init__(legend, *fields, **kwargs)
        self.first = first

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        names = {pointer.name for pointer in self.get_field_names()}
        has_errors = any(name in form.errors for name in names)
        opened = has_errors if form.errors else self.first
        return format_html(
            '<details class="case-section" id="{}" data-section{}>'
            '<summary><span class="case-section-title">{}</span> '
            '<span class="badge text-bg-danger case-section-badge" data-section-badge{}>{}</span>'
            "</summary>"
            '<fieldset class="case-section-body"><legend class="visually-hidden">{}</legend>{}'
            "</fieldset></details>",
            self.css_id,
            " open" if opened else "",
            self.legend,
            "" if has_errors else " hidden",
            _("Has errors"),
            self.legend,
            fields,
        )


def _model_field(model, name: str, **kwargs) -> forms.Field:
    """The form field of `model`'s field `name`: its label, choices, length and help text."""
    return model._meta.get_field(name).formfield(**kwargs)


# The intake's optional section: a complaint the person already filed and the next follow-up,
# recorded with the case (cases.views.case_create). Form field -> the record's field.
INTAKE_COMPLAINT_FIELDS = {
    "complaint_filed_at": "filed_at",
    "complaint_place": "place",
    "complaint_place_name": "place_name",
    "complaint_filed_by": "filed_by",
    "complaint_reference": "reference",
}
INTAKE_FOLLOW_UP_FIELDS = {"follow_up_kind": "kind", "follow_up_due_on": "due_on"}


class CaseForm(forms.ModelForm):
    """Intake and edit of a case. Geography is chosen region → province → district → community;
    a missing community can be added by name."""

    region = forms.ModelChoiceField(
        Region.objects.all(), label=_("Region"), empty_label=_("Choose a region")
    )
    province = forms.ModelChoiceField(
        Province.objects.none(), label=_("Province"), empty_label=_("Choose a province")
    )
    new_community = forms.CharField(
        label=_("Community not in the list"),
        required=False,
        max_length=150,
        help_text=_("Write its name to add it to the district."),
    )
    violence_acts = forms.MultipleChoiceField(
        label=_("Acts of violence"),
        choices=ACT_CHOICES,
        widget=ViolenceActsWidget,
        required=False,
        help_text=_("Only the acts of the chosen type of violence are shown."),
    )
    # Intake only (EditCaseForm drops them): see INTAKE_COMPLAINT_FIELDS.
    complaint_filed_at = _model_field(
        Complaint,
        "filed_at",
        form_class=ServiceDateTimeField,
        required=False,
        label=_("Complaint filed at"),
        help_text=_("Date and time, Peru's time. Leave it empty if no complaint was filed yet."),
    )
    complaint_place = _model_field(Complaint, "place", required=False)
    complaint_place_name = _model_field(Complaint, "place_name", required=False)
    complaint_filed_by = _model_field(Complaint, "filed_by", required=False)
    complaint_reference = _model_field(Complaint, "reference", required=False)
    follow_up_kind = _model_field(FollowUp, "kind", required=False, label=_("Next follow-up"))
    follow_up_due_on = _model_field(FollowUp, "due_on", required=False, widget=DateInput())

    class Meta:
        model = Case
        fields = [
            "intake_date",
            "condition",
            "entry_route",
            "victim_name",
            "victim_document_type",
            "victim_document_number",
            "victim_birth_date",
            "victim_age",
            "victim_sex",
            "victim_peruvian",
            "victim_country",
            "victim_mother_tongue",
            "victim_ethnicity",
            "victim_disability",
            "victim_pregnant",
            "victim_education",
            "victim_marital_status",
            "victim_works",
            "daughters_0_17",
            "sons_0_17",
            "daughters_18_plus",
            "sons_18_plus",
            "district",
            "community",
            "residence_area",
            "aggressor_sex",
            "aggressor_age",
            "relationship",
            "partner_relationship",
            "family_relationship",
            "other_relationship",
            "aggressor_lives_with_victim",
            "violence_type",
            "violence_acts",
            "risk_level",
            "complaint_filed",
            "wants_to_file",
            "protective_measures",
        ]
        widgets = {
            "intake_date": DateInput(),
            "victim_birth_date": DateInput(),
            "victim_document_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "victim_name": forms.TextInput(attrs={"autocomplete": "off"}),
            # A numeric keyboard on phones; the document number gets one only for a DNI
            # (static/js/case_form.js), since other documents hold letters.
            **{
                name: forms.NumberInput(attrs={"inputmode": "numeric"})
                for name in (
                    "victim_age",
                    "aggressor_age",
                    "daughters_0_17",
                    "sons_0_17",
                    "daughters_18_plus",
                    "sons_18_plus",
                )
            },
        }

    def __init__(
        self,
        *args,
        service: CareService,
        count_earlier=earlier_cases_count,
        captured_at=None,
        **kwargs,
    ):
        """`count_earlier` answers the repeat check; the views and the sync pass one that is
        counted against the user's budget and audited (`cases.actions.document_checker`).
        `captured_at`: when the intake was written (the field sync's capture time), the present
        the clock's rules judge the complaint and follow-up by; now by default."""
        super().__init__(*args, **kwargs)
        self.service = service
        self.count_earlier = count_earlier
        self.captured_at = captured_at
        self.fields["victim_name"].required = True
        for name in REQUIRED_IN_FORM:
            self.fields[name].required = True
        self.fields["victim_age"].required = False
        self.fields["victim_age"].help_text = _(
            "Completed years on the intake date; worked out from the birth date if given."
        )
        self.fields["district"].empty_label = _("Choose a district")
        self.fields["community"].empty_label = _("No community / not known")
        self.fields["community"].error_messages["invalid_choice"] = _(
            "This community does not belong to the chosen district."
        )
        self.fields["district"].error_messages["invalid_choice"] = _(
            "This district does not belong to the chosen province."
        )
        self.fields["province"].error_messages["invalid_choice"] = _(
            "This province does not belong to the chosen region."
        )
        self._narrow_geography()
        refuse_unstorable_text(self)
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("intake_date", timezone.localdate())
        self.helper = self._helper()

    def _selected(self, name: str):
        """The value chosen for `name`: from the submitted data, else from the instance.

        A submitted value that is not an INEI code (digits) chooses nothing: it narrows the next
        select to nothing, and its own field says it is not a valid choice. It never reaches a
        query as it is (a NUL byte would fail it on PostgreSQL)."""
        if self.is_bound:
            value = self.data.get(self.add_prefix(name))
            return value if isinstance(value, str) and value.isascii() and value.isdigit() else None
        district = self._initial_district()
        if district is None:
            return None
        return {
            "region": district.province.region_id,
            "province": district.province_id,
            "district": district.code,
        }[name]

    def _initial_district(self) -> District | None:
        """The case's district; for a new case, the service's own (most cases live there)."""
        if self.instance.district_id:
            return self.instance.district
        if self.instance.pk is None and self.service.district_id:
            return self.service.district
        return None

    def _narrow_geography(self) -> None:
        """Offer (and accept) only the provinces of the chosen region, the districts of the
        chosen province and the communities of the chosen district."""
        region, province, district = (
            self._selected("region"),
            self._selected("province"),
            self._selected("district"),
        )
        if not self.is_bound and district:
            self.initial.update(region=region, province=province, district=district)
        self.fields["province"].queryset = Province.objects.filter(region_id=region or "")
        self.fields["district"].queryset = District.objects.filter(province_id=province or "")
        self.fields["community"].queryset = Community.objects.filter(district_id=district or "")
        for name, url in (
            ("region", reverse_lazy("geo_provinces")),
            ("province", reverse_lazy("geo_districts")),
            ("district", reverse_lazy("geo_communities")),
        ):
            self.fields[name].widget.attrs["data-children-url"] = url

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True

        def row(*names, css="col-12 col-md"):
            return Row(*[Column(Field(name), css_class=css) for name in names])

        sections = [
            Section(
                _("Intake"),
                row("intake_date", "condition"),
                Div(HTML('<div id="repeat-notice" role="status" aria-live="polite"></div>')),
                "entry_route",
                css_id="section-intake",
                first=True,
            ),
            Section(
                _("The person"),
                "victim_name",
                row("victim_document_type", "victim_document_number"),
                row("victim_birth_date", "victim_age", "victim_sex"),
                row("victim_peruvian", "victim_country"),
                row("victim_mother_tongue", "victim_ethnicity"),
                row("victim_education", "victim_marital_status"),
                row("victim_disability", "victim_pregnant", "victim_works"),
                row(
                    "daughters_0_17",
                    "sons_0_17",
                    "daughters_18_plus",
                    "sons_18_plus",
                    css="col-6 col-md-3",
                ),
                css_id="section-person",
            ),
            Section(
                _("Residence"),
                row("region", "province"),
                row("district", "community"),
                row("new_community", "residence_area"),
                css_id="section-residence",
            ),
            Section(
                _("Alleged aggressor"),
                row("aggressor_sex", "aggressor_age"),
                "relationship",
                Div("partner_relationship", css_class="relationship-detail", data_for="1"),
                Div("family_relationship", css_class="relationship-detail", data_for="2"),
                Div("other_relationship", css_class="relationship-detail", data_for="3"),
                "aggressor_lives_with_victim",
                css_id="section-aggressor",
            ),
            Section(
                _("Violence and risk"),
                "violence_type",
                "violence_acts",
                "risk_level",
                row("complaint_filed", "wants_to_file", "protective_measures"),
                css_id="section-violence",
            ),
        ]
        if "complaint_filed_at" in self.fields:  # the intake, not the edit
            sections.append(
                Section(
                    _("Complaint and next follow-up"),
                    HTML(
                        format_html(
                            '<p class="small text-body-secondary">{}</p>',
                            _(
                                "Optional. A complaint recorded here starts the legal deadline "
                                "for protection measures; the follow-up joins the pending "
                                "items."
                            ),
                        )
                    ),
                    row("complaint_filed_at", "complaint_place"),
                    row("complaint_place_name", "complaint_filed_by"),
                    "complaint_reference",
                    row("follow_up_kind", "follow_up_due_on"),
                    css_id="section-clock",
                )
            )
        helper.layout = Layout(*sections)
        return helper

    # Checks -----------------------------------------------------------------------------
    # Every rule within the record lives in cases/rules.py, shared with the import and the sync;
    # the form only shows its problems next to the fields.

    def clean(self):
        data = super().clean()
        values = {name: data[name] for name in self._meta.fields if name in data}
        add_to_form(self, rules.clean_case(values, service_opened_on=self.service.opened_on))
        data.update(values)
        self._check_geography(data)
        self._check_condition(data)
        self._check_legal_clock(data)
        return data

    def _given(self, data, names) -> bool:
        """Whether any of `names` was filled in (a value refused counts: it was typed)."""
        return any(data.get(name) not in (None, "") or name in self.errors for name in names)

    def _require(self, data, names) -> None:
        for name in names:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, self.fields[name].error_messages["required"])

    def _check_legal_clock(self, data) -> None:
        """The intake's complaint and follow-up, each all or nothing, by the clock's rules."""
        if "complaint_filed_at" not in self.fields:
            return
        now = self.captured_at or timezone.now()
        if self._given(data, INTAKE_COMPLAINT_FIELDS):
            values = {field: data.get(name) for name, field in INTAKE_COMPLAINT_FIELDS.items()}
            add_to_form(self, _renamed(rules.complaint_problems(values, now=now), "complaint_"))
            self._require(data, ("complaint_filed_at", "complaint_place", "complaint_filed_by"))
        if self._given(data, INTAKE_FOLLOW_UP_FIELDS):
            values = {field: data.get(name) for name, field in INTAKE_FOLLOW_UP_FIELDS.items()}
            add_to_form(self, _renamed(rules.follow_up_problems(values, now=now), "follow_up_"))
            self._require(data, ("follow_up_kind", "follow_up_due_on"))

    def complaint_data(self) -> dict | None:
        """The complaint to file with the case (`actions.file_complaint`); None if none."""
        if "complaint_filed_at" not in self.fields or not self.cleaned_data["complaint_filed_at"]:
            return None
        data = {field: self.cleaned_data[name] for name, field in INTAKE_COMPLAINT_FIELDS.items()}
        return {name: value if value is not None else "" for name, value in data.items()}

    def follow_up_data(self) -> dict | None:
        """The follow-up to schedule with the case (`actions.schedule_follow_up`); None if none."""
        if "follow_up_kind" not in self.fields or not self.cleaned_data["follow_up_kind"]:
            return None
        return {field: self.cleaned_data[name] for name, field in INTAKE_FOLLOW_UP_FIELDS.items()}

    def _check_geography(self, data) -> None:
        district, community = data.get("district"), data.get("community")
        name = " ".join(data.get("new_community", "").split())
        data["new_community"] = name
        problems = name_problems("new_community", name)
        add_to_form(self, problems)
        if not name or district is None or problems:
            return
        if community:
            self.add_error("new_community", _("Choose a community or add a new one, not both."))
        elif Community.objects.filter(district=district, name__iexact=name).exists():
            self.add_error(
                "new_community",
                _("This district already has a community with that name: choose it in the list."),
            )

    def _check_condition(self, data) -> None:
        number = data.get("victim_document_number")
        if data.get("condition") != NEW_CONDITION or not number:
            return
        try:
            earlier = self.count_earlier(
                number, exclude_pk=self.instance.pk, before=data.get("intake_date")
            )
        except forms.ValidationError as refused:  # over the document-check budget
            self.add_error("condition", refused)
            return
        if earlier:
            self.add_error("condition", forms.ValidationError(repeat_message(), code="repeat"))

    def case_data(self) -> dict:
        """The cleaned values of the Case fields, for `open_case` / `update_case`."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


def _renamed(problems, prefix: str) -> list:
    """A rule's problems, named after the intake form's prefixed fields."""
    return [(f"{prefix}{field}" if field else field, message) for field, message in problems]


class EditCaseForm(CaseForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # Complaints and follow-ups of a stored case have their own pages, not the edit form.
    complaint_filed_at = None
    complaint_place = None
    complaint_place_name = None
    complaint_filed_by = None
    complaint_reference = None
    follow_up_kind = None
    follow_up_due_on = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version


def _dates_within_case(form: forms.Form, field: str, case: Case):
    value = form.cleaned_data[field]
    not_in_future(value, _("The date cannot be in the future."))
    if value < case.intake_date:
        raise forms.ValidationError(_("The date cannot be before the case's intake date."))
    return value


class CaseActionForm(forms.ModelForm):
    class Meta:
        model = CaseAction
        fields = ["kind", "date", "notes"]
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.initial.setdefault("date", timezone.localdate())
        refuse_unstorable_text(self)  # the field sync sends its notes

    def clean_date(self):
        return _dates_within_case(self, "date", self.case)


YES_NO = [("", _("Choose")), ("1", _("Yes")), ("0", _("No"))]


class ReferralForm(forms.ModelForm):
    consent = forms.TypedChoiceField(
        label=_("The person consents to the referral"),
        choices=YES_NO,
        coerce=lambda value: value == "1",
    )

    class Meta:
        model = Referral
        fields = [
            "destination",
            "destination_service",
            "destination_detail",
            "date",
            "consent",
            "notes",
        ]
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.initial.setdefault("date", timezone.localdate())
        today = timezone.localdate()
        self.fields["destination_service"].queryset = (
            CareService.objects.active_between(today, today)
            .filter(kind__in=[CareService.Kind.CEM, CareService.Kind.SAR])
            .exclude(pk=case.service_id)
            .order_by("kind", "name")
        )
        self.fields["destination_service"].help_text = _("For a referral to another CEM or SAR.")

    def clean_date(self):
        return _dates_within_case(self, "date", self.case)

    def clean(self):
        data = super().clean()
        destination = data.get("destination")
        service = data.get("destination_service")
        wants_service = {Referral.Destination.CEM: "CEM", Referral.Destination.SAR: "SAR"}
        if destination in wants_service:
            if not service:
                self.add_error("destination_service", _("Choose the receiving service."))
            elif service.kind != wants_service[destination]:
                self.add_error(
                    "destination_service", _("The receiving service is not of the chosen kind.")
                )
        elif service:
            data["destination_service"] = None
        if data.get("consent") is False and not data.get("notes", "").strip():
            self.add_error("notes", _("Explain why the referral goes ahead without consent."))
        return data


class CloseCaseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closing date"), widget=DateInput())
    reason = forms.ChoiceField(label=_("Closure reason"), choices=Case.ClosureReason.choices)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.initial.setdefault("closed_on", timezone.localdate())

    def clean_closed_on(self):
        return _dates_within_case(self, "closed_on", self.case)


class CaseFilterForm(forms.Form):
    """The case list's filters, in the order the page shows them.

    The case list is the busiest page of the site: see `fields_with_widgets`."""

    q = forms.CharField(label=_("Case code"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Case.Status.choices]
    )
    risk_level = forms.TypedChoiceField(
        label=_("Risk"),
        required=False,
        coerce=int,
        choices=[("", _("Any risk")), *registry.choices("NIVEL_DE_RIESGO_VICTIMA")],
    )
    service = SearchChoiceField(
        CareService.objects.none(),
        label=_("Service"),
        required=False,
        to_field_name="code",
        upper=True,
        search_url=format_lazy("{}?for=cases", reverse_lazy("geo_service_search")),
        help_text=_("Type two letters of its name or code, and choose."),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    community = SearchChoiceField(
        Community.objects.none(),
        label=_("Community"),
        required=False,
        search_url=reverse_lazy("geo_community_search"),
        help_text=_("Type two letters of its name, and choose."),
    )

    def __init__(self, *args, services, communities, **kwargs):
        """`services`, `communities`: what the user may filter by (`services.forms`'
        `case_filter_services` and `case_filter_communities`); only the one typed is looked
        up, so the form's size and queries do not grow with the network."""
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["community"].queryset = communities

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

    def fields_with_widgets(self) -> list[tuple[forms.BoundField, str]]:
        """Each field with its widget's HTML in crispy-forms' Bootstrap 5 classes
        ("form-control", "form-select", "is-invalid"), for templates/cases/case_list.html to
        place with its label, errors and help text: the busiest page of the site renders its
        filters without crispy-forms' field templates, which cost about as much as the rest of
        the page. Django renders the widgets themselves (aria-invalid, aria-describedby)."""
        return [(field, self._widget_html(field)) for field in self]

    @staticmethod
    def _widget_html(field: forms.BoundField) -> str:
        widget = field.field.widget
        bootstrap = "form-select" if isinstance(widget, forms.Select) else "form-control"
        css = [widget.attrs.get("class"), type(widget).__name__.lower(), bootstrap]
        if field.errors:
            css.append("is-invalid")
        return field.as_widget(attrs={"class": " ".join(filter(None, css))})

    def filter(self, cases):
        if not self.is_valid():
            return cases
        data = self.cleaned_data
        if data["q"]:
            cases = cases.filter(code__icontains=data["q"].strip())
        if data["status"]:
            cases = cases.filter(status=data["status"])
        if data["service"]:
            cases = cases.filter(service=data["service"])
        if data["risk_level"] not in (None, ""):
            cases = cases.filter(risk_level=data["risk_level"])
        if data["date_from"]:
            cases = cases.filter(intake_date__gte=data["date_from"])
        if data["date_to"]:
            cases = cases.filter(intake_date__lte=data["date_to"])
        if data["community"]:
            cases = cases.filter(community=data["community"])
        return cases


# The legal clock's forms --------------------------------------------------------------------
# Each shows, next to its fields, the problems of the rule in cases/rules.py that its action
# calls again when it stores (a day may have turned, a colleague may have been quicker).


class ClockForm(forms.Form):
    """A form of the legal clock on a case: text that cannot be stored is refused, and `clean`
    shows next to its fields the problems of the rule (`problems`) its action calls again."""

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        refuse_unstorable_text(self)

    def problems(self, data: dict) -> list:
        return []

    def clean(self):
        data = super().clean()
        # A field with an error of its own keeps that one (add_to_form skips it).
        add_to_form(self, self.problems(dict(data)))
        return data


class ComplaintForm(ClockForm):
    """A complaint (denuncia) filed with the police, a prosecutor or a court."""

    filed_at = _model_field(
        Complaint,
        "filed_at",
        form_class=ServiceDateTimeField,
        help_text=_("Date and time it was received, Peru's time: the deadline counts from then."),
    )
    place = _model_field(Complaint, "place")
    place_name = _model_field(Complaint, "place_name")
    filed_by = _model_field(Complaint, "filed_by")
    reference = _model_field(Complaint, "reference")

    def problems(self, data):
        return rules.complaint_problems(data, now=timezone.now())


class MeasureForm(ClockForm):
    """A protection measure asked for a complaint; with `measure`, a change of a stored one,
    offering only the states it may reach (`rules.MEASURE_TRANSITIONS`)."""

    measure_type = _model_field(ProtectionMeasure, "measure_type")
    state = _model_field(ProtectionMeasure, "state")
    decided_at = _model_field(
        ProtectionMeasure,
        "decided_at",
        form_class=ServiceDateTimeField,
        help_text=_(
            "Date and time of the court's decision, Peru's time. Empty while only requested."
        ),
    )
    court = _model_field(ProtectionMeasure, "court")
    notified_on = _model_field(ProtectionMeasure, "notified_on", widget=DateInput())
    executed_by = _model_field(ProtectionMeasure, "executed_by")
    ended_on = _model_field(
        ProtectionMeasure,
        "ended_on",
        widget=DateInput(),
        help_text=_("Only for a measure lifted or expired."),
    )
    notes = _model_field(ProtectionMeasure, "notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args,
        case: Case,
        complaint: Complaint,
        measure: ProtectionMeasure | None = None,
        **kwargs,
    ):
        super().__init__(*args, case=case, **kwargs)
        self.complaint = complaint
        self.measure = measure
        if measure is not None:
            for name in self.fields:
                self.initial.setdefault(name, getattr(measure, name))
            reachable = rules.MEASURE_TRANSITIONS[measure.state]
            self.fields["state"].choices = [
                (value, label)
                for value, label in ProtectionMeasure.State.choices
                if value in reachable
            ]

    def problems(self, data):
        return rules.measure_problems(
            data,
            complaint_filed_at=self.complaint.filed_at,
            now=timezone.now(),
            previous_state=self.measure.state if self.measure else None,
        )


class ReasonForm(ClockForm):
    """Setting a complaint aside, or cancelling a follow-up: the reason is required (by the
    rule, whose message says why) and kept with the case."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "aria-required": "true"}),
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label

    def problems(self, data):
        return rules.set_aside_problems(data.get("reason"))


class SetAsideForm(ReasonForm):
    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, label=_("Why it needs no protection measure"), **kwargs)
        self.complaint = complaint


class FollowUpCancelForm(ReasonForm):
    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        super().__init__(*args, label=_("Why it will not take place"), **kwargs)
        self.follow_up = follow_up


class FollowUpForm(ClockForm):
    """A visit, call or accompaniment to schedule."""

    kind = _model_field(FollowUp, "kind")
    due_on = _model_field(FollowUp, "due_on", widget=DateInput())
    notes = _model_field(FollowUp, "notes", widget=forms.Textarea(attrs={"rows": 3}))

    def problems(self, data):
        return rules.follow_up_problems(data, now=timezone.now())


class FollowUpDoneForm(ClockForm):
    """A follow-up done: the day, and how it went (added to its notes)."""

    done_on = _model_field(FollowUp, "done_on", required=False, widget=DateInput())
    notes = forms.CharField(
        label=_("How it went"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        super().__init__(*args, **kwargs)
        self.follow_up = follow_up
        self.initial.setdefault("done_on", clock.today())

    def problems(self, data):
        return rules.follow_up_done_problems(
            data.get("done_on"), scheduled_at=self.follow_up.created_at, now=timezone.now()
        )
