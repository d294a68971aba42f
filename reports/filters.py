"""The period and filters every report takes: `from`..`to` (or `year`), region, kind, service,
and the answer's `format` (and, for the cases and activities reports, the `by` dimension)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.dates import DateInput

SERVICE_KINDS = ["CEM", "SAR", "CAI", "HRT"]
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# Every report answers in each of these; the first is the default.
FORMATS = ("html", "json", "csv", "xlsx")
# Dates in a report's address are ISO whatever the language, as the date picker sends them:
# 31/12/2025 would read as another day (or none) in English.
ISO_DATE = "%Y-%m-%d"
DATE_MESSAGE = _("Write the date as year-month-day, for example 2025-12-31.")


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date
    region: str = ""
    service_kind: str = ""
    service: str = ""

    def period(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def one_of(message, value: str, names) -> forms.ValidationError:
    return forms.ValidationError(message, params={"value": value, "names": ", ".join(names)})


class RegionChoiceField(forms.ModelChoiceField):
    """A region by its 2-digit INEI code (the URL parameter), shown by its name."""

    def label_from_instance(self, obj) -> str:
        return obj.name


class ReportFilterForm(forms.Form):
    """Read the query string of a report. The default period is the current calendar year.

    `regions`, `services` and `shelters` are what the asker may see: a region, service or
    shelter outside them is refused exactly like one that does not exist, so that the answer
    gives nothing away.
    """

    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    from_ = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        input_formats=[ISO_DATE],
        error_messages={"invalid": DATE_MESSAGE},
    )
    to = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(),
        input_formats=[ISO_DATE],
        error_messages={"invalid": DATE_MESSAGE},
    )
    region = RegionChoiceField(
        label=_("Region"),
        required=False,
        queryset=None,
        to_field_name="code",
        empty_label=_("All regions"),
        error_messages={"invalid_choice": _("%(value)s is not a region of your scope.")},
    )
    service_kind = forms.ChoiceField(
        label=_("Kind of service"),
        required=False,
        choices=[("", _("All kinds"))] + [(kind, kind) for kind in SERVICE_KINDS],
    )
    # A code typed or chosen among the suggestions of /geo/services/search/ (scoped as the
    # report is; static/js/autocomplete.js): the page ships no option per service.
    service = forms.CharField(
        label=_("Service code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "data-autocomplete": reverse_lazy("geo_service_search"),
                "data-min-chars": "2",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    format = forms.CharField(required=False)

    def __init__(
        self,
        data,
        *,
        regions: QuerySet,
        services: QuerySet,
        shelters: QuerySet,
        suggest_services: bool = True,
    ):
        super().__init__(data)
        if not suggest_services:
            # Shelter staff read reports but not the service list: their field takes a code
            # typed, without asking /geo/services/search/ (which would refuse, and record
            # every keystroke as a refused access).
            self.fields["service"].widget.attrs.pop("data-autocomplete", None)
        self.fields["region"].queryset = regions
        self.services, self.shelters = services, shelters

    def add_prefix(self, field_name):
        # `from` is a Python keyword: the field is `from_`, its parameter is `from`.
        return "from" if field_name == "from_" else super().add_prefix(field_name)

    def _within_years(self, name: str):
        value = self.cleaned_data.get(name)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(
                _("Give a date between %(first)s and %(last)s."),
                params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            )
        return value

    def clean_from_(self):
        return self._within_years("from_")

    def clean_to(self):
        return self._within_years("to")

    def clean_service(self):
        code = self.cleaned_data["service"].strip().upper()
        if code and not (
            self.services.filter(code=code).exists() or self.shelters.filter(code=code).exists()
        ):
            raise forms.ValidationError(
                _("There is no service or shelter with code %(code)s in your scope."),
                code="invalid_choice",
                params={"code": code},
            )
        return code

    def clean_format(self):
        fmt = self.cleaned_data["format"].strip().lower() or FORMATS[0]
        if fmt not in FORMATS:
            raise one_of(_("Unknown format: choose one of %(names)s."), fmt, FORMATS)
        return fmt

    def clean(self):
        data = super().clean()
        year, start, end = data.get("year"), data.get("from_"), data.get("to")
        if self.errors:
            return data
        if year and (start or end):
            raise forms.ValidationError(_("Give either a year or a from/to period, not both."))
        if year:
            start, end = date(year, 1, 1), date(year, 12, 31)
        else:
            this_year = timezone.localdate().year
            start = start or (date(end.year, 1, 1) if end else date(this_year, 1, 1))
            end = end or (
                date(start.year, 12, 31) if data.get("from_") else date(this_year, 12, 31)
            )
        if start > end:
            self.add_error("to", _("The end of the period is before its start."))
        data["start"], data["end"] = start, end
        return data

    def requested_format(self) -> str:
        """The format asked for, if it is a known one; otherwise the page (html)."""
        fmt = str(self.data.get("format", "")).strip().lower()
        return fmt if fmt in FORMATS else FORMATS[0]

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        region = data.get("region")
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            region=region.code if region else "",
            service_kind=data.get("service_kind", ""),
            service=data.get("service", ""),
        )


class CasesReportForm(ReportFilterForm):
    """The cases and the activities reports add the dimension to break their figures down by
    (`by`, by default the first of `dimensions`: month)."""

    by = forms.CharField(required=False)

    dimensions: tuple[str, ...] = ()

    def __init__(self, data, *, dimensions, **kwargs):
        super().__init__(data, **kwargs)
        self.dimensions = tuple(dimensions)

    def clean_by(self):
        dimension = self.cleaned_data["by"].strip() or self.dimensions[0]
        if dimension not in self.dimensions:
            raise one_of(
                _("Unknown breakdown: choose one of %(names)s."), dimension, self.dimensions
            )
        return dimension


def last_full_year() -> int:
    """The open-data table's default year: the last calendar year that has ended."""
    return timezone.localdate().year - 1


class OpenDataForm(forms.Form):
    """The open-data table takes a calendar year and nothing else."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def clean(self):
        data = super().clean()
        if set(self.data) - {"year"}:
            raise forms.ValidationError(
                _("The open-data table is published for whole years: give only the year.")
            )
        return data
