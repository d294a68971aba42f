"""Report pages for people, and the same numbers as JSON, CSV and XLSX.

Views only orchestrate: check the scope, read the filters, call one query; `exports.answer`
answers in every format.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from cases import clock
from services.decorators import scope_required
from services.queries import services_visible_to
from services.scopes import scope_for

from . import exports, queries
from .charts import bar_chart
from .disclosure import tables
from .exports import Report
from .filters import CasesReportForm, OpenDataForm, ReportFilterForm, last_full_year

DIMENSION_LABELS = {
    "month": gettext_lazy("Month"),
    "sex": gettext_lazy("Sex"),
    "age_group": gettext_lazy("Age group"),
    "violence_type": gettext_lazy("Type of violence"),
    "risk_level": gettext_lazy("Risk level"),
    "region": gettext_lazy("Region"),
    "service_kind": gettext_lazy("Kind of service"),
    "service": gettext_lazy("Service"),
}
RURAL_LABELS = {
    "services": gettext_lazy("SAR services active"),
    "cases": gettext_lazy("Cases"),
    "districts": gettext_lazy("Districts"),
    "communities": gettext_lazy("Communities"),
    "provinces": gettext_lazy("Provinces"),
    "regions": gettext_lazy("Regions"),
    "activities": gettext_lazy("Community activities"),
    "participants": gettext_lazy("Participants in the activities"),
    "activity_districts": gettext_lazy("Districts reached by the activities"),
    "activity_communities": gettext_lazy("Communities reached by the activities"),
}
# The breakdowns of the activities report (`by`); the first is the default.
ACTIVITY_DIMENSION_LABELS = {
    "month": gettext_lazy("Month"),
    "type": gettext_lazy("Type of activity"),
    "service": gettext_lazy("Service"),
    "region": gettext_lazy("Region"),
}
SHELTER_LABELS = {
    "people_sheltered": gettext_lazy("People sheltered"),
    "women": gettext_lazy("Women"),
    "girls": gettext_lazy("Girls"),
    "boys": gettext_lazy("Boys"),
    "men": gettext_lazy("Men"),
    "stays": gettext_lazy("Stays"),
}

# The figures of the legal clock, in the order of the page and the files.
PROTECTION_LABELS = {
    "complaints": gettext_lazy("Complaints filed in the period"),
    "measures_granted": gettext_lazy("Protection measures granted for them"),
    "granted_within_deadline": gettext_lazy("Granted within the deadline"),
    "median_hours_to_measure": gettext_lazy("Median hours from complaint to measure"),
    "overdue_now": gettext_lazy("Complaints overdue now (filed on any date)"),
}


def reads_reports(scope) -> bool:
    return scope.has_role


def _filter_form(request, form_class=ReportFilterForm, **kwargs) -> ReportFilterForm:
    """The filters of the query string, checked against what the asker may see."""
    return form_class(
        request.GET,
        regions=queries.regions_for_reports(request.user),
        services=services_visible_to(request.user),
        shelters=queries.shelters_for_reports(request.user),
        suggest_services=scope_for(request.user).may_see_services,
        **kwargs,
    )


def _figures(title, data: dict, labels: dict, table, page=None) -> Report:
    """A report of single figures (the keys of `labels`): one row in the files."""

    def page_context():
        figures = [(key, data[key], label) for key, label in labels.items()]
        return {"figures": figures, **(page() if page else {})}

    return Report(
        title=title,
        data=data,
        header=list(labels.values()),
        rows=lambda data: [[data[key] for key in labels]],
        table=table,
        page=page_context,
    )


def rural_coverage_report(services, filters) -> Report:
    data = queries.rural_coverage(services, filters)
    return _figures(_("Rural coverage (SAR)"), data, RURAL_LABELS, tables.rural_coverage)


def shelters_report(stays, filters) -> Report:
    def page():
        by_month = queries.people_sheltered_by_month(stays, filters)
        chart = bar_chart(by_month, title=_("People sheltered each month"))
        return {"by_month": by_month, "chart": chart}

    data = queries.shelters_report(stays, filters)
    return _figures(_("People sheltered (HRT)"), data, SHELTER_LABELS, tables.shelters, page)


def network_report(services, shelters, filters) -> Report:
    data = queries.network(services, shelters, filters)

    def rows(data):
        return [[kind, data["opened"][kind], data["active"][kind]] for kind in data["opened"]]

    def page():
        chart_rows = [{"label": kind, "count": active} for kind, _opened, active in rows(data)]
        title = _("Services active in the period, by kind")
        return {"rows": rows(data), "chart": bar_chart(chart_rows, title=title)}

    return Report(
        title=_("The network: services opened and active"),
        sheet=_("Services opened and active"),
        data=data,
        header=[_("Kind"), _("Opened in the period"), _("Active in the period")],
        rows=rows,
        table=tables.network,
        page=page,
    )


def cases_report(services, filters, dimension: str) -> Report:
    label = DIMENSION_LABELS[dimension]
    title = _("Cases by %(dimension)s") % {"dimension": str(label).lower()}
    data = queries.cases_by(services, filters, dimension)
    return Report(
        title=title,
        data=data,
        header=[_("Code"), label, _("Cases")],
        rows=lambda data: [[row["key"], row["label"], row["count"]] for row in data["rows"]],
        table=tables.breakdown,
        page=lambda: {"dimension": dimension, "chart": bar_chart(data["rows"], title=title)},
    )


def activities_report(services, filters, dimension: str) -> Report:
    label = ACTIVITY_DIMENSION_LABELS[dimension]
    title = _("Community activities by %(dimension)s") % {"dimension": str(label).lower()}
    data = queries.activities_by(services, filters, dimension)

    def rows(data):
        return [
            [row["key"], row["label"], row["count"], row["participants"]] for row in data["rows"]
        ]

    return Report(
        title=title,
        sheet=_("Community activities"),
        data=data,
        header=[_("Code"), label, _("Activities"), _("Participants")],
        rows=rows,
        table=tables.activities,
        page=lambda: {"dimension": dimension, "chart": bar_chart(data["rows"], title=title)},
    )


def protection_report(services, filters, *, now=None) -> Report:
    """The legal clock: one row per figure, then one per type of measure (code, label, value).

    The page adds the measures granted late (a difference of two figures, not a key of the
    contract) and the deadline in force; the files carry only the contract's figures.
    """
    data = queries.protection(services, filters, now=now)

    def rows(data):
        figures = [[key, label, data[key]] for key, label in PROTECTION_LABELS.items()]
        by_type = [
            [row["key"], _("Measures granted: %(type)s") % {"type": row["label"]}, row["count"]]
            for row in data["by_type"]
        ]
        return figures + by_type

    def page():
        late = data["measures_granted"] - data["granted_within_deadline"]
        title = _("Protection measures granted, by type")
        return {
            "figures": [(key, data[key], label) for key, label in PROTECTION_LABELS.items()],
            "granted_late": late,
            "deadline_hours": clock.deadline_hours(),
            "chart": bar_chart(data["by_type"], title=title),
            "chart_title": title,
        }

    return Report(
        title=_("Protection measures and the legal deadline"),
        sheet=_("Protection measures"),
        data=data,
        header=[_("Code"), _("Figure"), _("Value")],
        rows=rows,
        table=tables.protection,
        page=page,
    )


@never_cache
@scope_required(reads_reports)
def index(request):
    return render(
        request,
        "reports/index.html",
        {
            "dimensions": DIMENSION_LABELS,
            "activity_dimensions": ACTIVITY_DIMENSION_LABELS,
            "open_data_year": last_full_year(),
        },
    )


@never_cache
@scope_required(reads_reports)
def rural_coverage(request):
    def build(filters):
        return rural_coverage_report(services_visible_to(request.user), filters)

    return exports.answer(
        request, _filter_form(request), template="reports/rural_coverage.html", build=build
    )


@never_cache
@scope_required(reads_reports)
def shelters(request):
    stays = queries.stays_for_reports(request.user)

    def build(filters):
        return shelters_report(stays, filters)

    return exports.answer(
        request, _filter_form(request), template="reports/shelters.html", build=build
    )


@never_cache
@scope_required(reads_reports)
def network(request):
    def build(filters):
        return network_report(
            services_visible_to(request.user), queries.shelters_for_reports(request.user), filters
        )

    return exports.answer(
        request, _filter_form(request), template="reports/network.html", build=build
    )


@never_cache
@scope_required(reads_reports)
def cases(request):
    form = _filter_form(request, CasesReportForm, dimensions=DIMENSION_LABELS)

    def build(filters):
        return cases_report(services_visible_to(request.user), filters, form.cleaned_data["by"])

    # The breakdown asked for, to keep it in the links and the form even when it is refused.
    context = {"dimensions": DIMENSION_LABELS, "dimension": request.GET.get("by") or "month"}
    return exports.answer(
        request, form, template="reports/cases.html", build=build, context=context
    )


@never_cache
@scope_required(reads_reports)
def activities(request):
    form = _filter_form(request, CasesReportForm, dimensions=ACTIVITY_DIMENSION_LABELS)

    def build(filters):
        return activities_report(
            services_visible_to(request.user), filters, form.cleaned_data["by"]
        )

    # The breakdown asked for, to keep it in the links and the form even when it is refused.
    context = {
        "dimensions": ACTIVITY_DIMENSION_LABELS,
        "dimension": request.GET.get("by") or "month",
    }
    return exports.answer(
        request, form, template="reports/activities.html", build=build, context=context
    )


@never_cache
@scope_required(reads_reports)
def protection(request):
    def build(filters):
        return protection_report(services_visible_to(request.user), filters)

    return exports.answer(
        request, _filter_form(request), template="reports/protection.html", build=build
    )


@never_cache
@scope_required(lambda scope: scope.is_admin or scope.is_manager or scope.is_caseworker)
def open_data(request):
    """The national open-data layout for one calendar year, through the disclosure control.

    Only whole years: two tables of periods a day apart would give away, by subtraction, the
    cases of that day however their cells are suppressed.
    """
    form = OpenDataForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    year = form.cleaned_data["year"]
    table = queries.open_data_table(services_visible_to(request.user), year)
    rows, _protection = exports.open_data_rows(table)
    return exports.csv_response(f"casos-datos-abiertos-{year}.csv", table.header, rows)
