"""Report pages for people, and the same numbers as JSON, CSV and XLSX.

Views only orchestrate: check the scope, read the filters, call one query, render.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from services.decorators import scope_required
from services.queries import services_visible_to

from . import exports, queries
from .charts import bar_chart
from .filters import OpenDataForm, ReportFilterForm

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
}
SHELTER_LABELS = {
    "people_sheltered": gettext_lazy("People sheltered"),
    "women": gettext_lazy("Women"),
    "girls": gettext_lazy("Girls"),
    "boys": gettext_lazy("Boys"),
    "men": gettext_lazy("Men"),
    "stays": gettext_lazy("Stays"),
}
EXPORT_FORMATS = ("json", "csv", "xlsx")


def reads_reports(scope) -> bool:
    return scope.has_role


def _filter_form(request) -> ReportFilterForm:
    """The filters of the query string (an empty query string means the defaults)."""
    return ReportFilterForm(request.GET)


def _invalid(request, form, template, context=None):
    """Bad parameters: a 400 that names the parameter at fault, never a server error."""
    if request.GET.get("format") in EXPORT_FORMATS:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return render(request, template, {"form": form, **(context or {})}, status=400)


def _flat_report(request, form, data, labels, *, name, template, context=None):
    """Answer a report of single figures (the keys of `labels`) as JSON, CSV or a page."""
    filters = form.filters()
    fmt = request.GET.get("format")
    if fmt == "json":
        return JsonResponse(data)
    if fmt == "csv":
        return exports.csv_response(
            f"{name}.csv",
            ["from", "to", *labels],
            [[filters.start.isoformat(), filters.end.isoformat(), *[data[k] for k in labels]]],
        )
    figures = [(key, data[key], label) for key, label in labels.items()]
    return render(
        request,
        template,
        {"form": form, "data": data, "filters": filters, "figures": figures, **(context or {})},
    )


@never_cache
@scope_required(reads_reports)
def index(request):
    return render(request, "reports/index.html", {"dimensions": DIMENSION_LABELS})


@never_cache
@scope_required(reads_reports)
def rural_coverage(request):
    form = _filter_form(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/rural_coverage.html")
    data = queries.rural_coverage(services_visible_to(request.user), form.filters())
    return _flat_report(
        request,
        form,
        data,
        RURAL_LABELS,
        name="cobertura-rural",
        template="reports/rural_coverage.html",
    )


@never_cache
@scope_required(reads_reports)
def shelters(request):
    form = _filter_form(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/shelters.html")
    stays = queries.stays_for_reports(request.user)
    data = queries.shelters_report(stays, form.filters())
    context = {}
    if request.GET.get("format") not in EXPORT_FORMATS:
        by_month = queries.people_sheltered_by_month(stays, form.filters())
        context = {
            "by_month": by_month,
            "chart": bar_chart(by_month, title=_("People sheltered each month")),
        }
    return _flat_report(
        request,
        form,
        data,
        SHELTER_LABELS,
        name="personas-albergadas",
        template="reports/shelters.html",
        context=context,
    )


@never_cache
@scope_required(reads_reports)
def network(request):
    form = _filter_form(request)
    if not form.is_valid():
        return _invalid(request, form, "reports/network.html")
    filters = form.filters()
    data = queries.network(
        services_visible_to(request.user), queries.shelters_for_reports(request.user), filters
    )
    rows = [[kind, data["opened"][kind], data["active"][kind]] for kind in data["opened"]]
    fmt = request.GET.get("format")
    if fmt == "json":
        return JsonResponse(data)
    if fmt == "csv":
        period = [filters.start.isoformat(), filters.end.isoformat()]
        return exports.csv_response(
            "red.csv", ["from", "to", "kind", "opened", "active"], [period + row for row in rows]
        )
    chart_rows = [{"label": kind, "count": active} for kind, _opened, active in rows]
    return render(
        request,
        "reports/network.html",
        {
            "form": form,
            "data": data,
            "filters": filters,
            "rows": rows,
            "chart": bar_chart(chart_rows, title=_("Services active in the period, by kind")),
        },
    )


@never_cache
@scope_required(reads_reports)
def cases(request):
    form = _filter_form(request)
    dimension = request.GET.get("by", "month")
    context = {"dimensions": DIMENSION_LABELS, "dimension": dimension}
    if not form.is_valid() or dimension not in DIMENSION_LABELS:
        if dimension not in DIMENSION_LABELS:
            form.add_error(
                None,
                _("Unknown breakdown: choose one of %(names)s.")
                % {"names": ", ".join(DIMENSION_LABELS)},
            )
        return _invalid(request, form, "reports/cases.html", context)
    data = queries.cases_by(services_visible_to(request.user), form.filters(), dimension)
    fmt = request.GET.get("format")
    header = ["key", "label", "count"]
    rows = [[row["key"], row["label"], row["count"]] for row in data["rows"]]
    name = f"casos-por-{dimension}"
    if fmt == "json":
        return JsonResponse(data)
    if fmt == "csv":
        return exports.csv_response(f"{name}.csv", header, rows)
    if fmt == "xlsx":
        return exports.xlsx_response(f"{name}.xlsx", dimension, header, rows)
    title = _("Cases by %(dimension)s") % {"dimension": DIMENSION_LABELS[dimension]}
    return render(
        request,
        "reports/cases.html",
        {
            **context,
            "form": form,
            "data": data,
            "filters": form.filters(),
            "chart": bar_chart(data["rows"], title=title),
        },
    )


@never_cache
@scope_required(lambda scope: scope.is_admin or scope.is_manager or scope.is_caseworker)
def open_data(request):
    """The national open-data layout for one calendar year, small cells suppressed.

    Only whole years: two tables of periods a day apart would give away, by subtraction, the
    cases of that day however their cells are suppressed.
    """
    form = OpenDataForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    year = form.cleaned_data["year"]
    header, rows = queries.open_data_table(services_visible_to(request.user), year)
    return exports.csv_response(f"casos-datos-abiertos-{year}.csv", header, rows)
