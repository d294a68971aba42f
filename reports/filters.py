"""The period and filters every report takes: `from`..`to` (or `year`), region, kind, service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.dates import DateInput
from services.models import Region

SERVICE_KINDS = ["CEM", "SAR", "CAI", "HRT"]
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date
    region: str = ""
    service_kind: str = ""
    service: str = ""

    def period(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


class ReportFilterForm(forms.Form):
    """Read the query string of a report. The default period is the current calendar year."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    from_ = forms.DateField(label=_("From"), required=False, widget=DateInput())
    to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    region = forms.CharField(label=_("Region"), required=False, max_length=2)
    service_kind = forms.ChoiceField(
        label=_("Kind of service"),
        required=False,
        choices=[("", _("All kinds"))] + [(kind, kind) for kind in SERVICE_KINDS],
    )
    service = forms.CharField(label=_("Service code"), required=False, max_length=20)

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

    def clean_region(self):
        region = self.cleaned_data["region"].strip()
        if region and not (region.isdigit() and len(region) == 2):
            raise forms.ValidationError(_("A region is its 2-digit INEI code, e.g. 08."))
        if region and not Region.objects.filter(code=region).exists():
            raise forms.ValidationError(
                _("There is no region with code %(code)s."), params={"code": region}
            )
        return region

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

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            region=data.get("region", ""),
            service_kind=data.get("service_kind", ""),
            service=data.get("service", "").strip().upper(),
        )


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
