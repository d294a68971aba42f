"""Report pages for people, and the same numbers as JSON, CSV and XLSX.

Views only orchestrate: check the scope, read the filters, call one query; `exports.answer`
answers in every format.
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
}
SHELTER_LABELS = {
    "people_sheltered": gettext_lazy("People sheltered"),
    "women": gettext_lazy("Women"),
    "girls": gettext_lazy("Girls"),
    "boys": gettext_lazy("Boys"),
    "men": gettext_lazy("Men"),
    "stays": gettext_lazy("Stays"),
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
        **kwargs,
    )


def _figures(title, data: dict, labels: dict, page=None) -> Report:
    """A report of single figures (the keys of `labels`): one row in the files."""

    def page_context():
        figures = [(key, data[key], label) for key, label in labels.items()]
        return {"figures": figures, **(page() if page else {})}

    return Report(
        title=title,
        data=data,
        header=list(labels.values()),
        rows=[[data[key] for key in labels]],
        page=page_context,
    )


@never_cache
@scope_required(reads_reports)
def index(request):
    return render(
        request,
        "reports/index.html",
        {"dimensions": DIMENSION_LABELS, "open_data_year": last_full_year()},
    )


@never_cache
@scope_required(reads_reports)
def rural_coverage(request):
    def build(filters):
        data = queries.rural_coverage(services_visible_to(request.user), filters)
        return _figures(_("Rural coverage (SAR)"), data, RURAL_LABELS)

    return exports.answer(
        request, _filter_form(request), template="reports/rural_coverage.html", build=build
    )


@never_cache
@scope_required(reads_reports)
def shelters(request):
    stays = queries.stays_for_reports(request.user)

    def build(filters):
        def page():
            by_month = queries.people_sheltered_by_month(stays, filters)
            chart = bar_chart(by_month, title=_("People sheltered each month"))
            return {"by_month": by_month, "chart": chart}

        data = queries.shelters_report(stays, filters)
        return _figures(_("People sheltered (HRT)"), data, SHELTER_LABELS, page)

    return exports.answer(
        request, _filter_form(request), template="reports/shelters.html", build=build
    )


@never_cache
@scope_required(reads_reports)
def network(request):
    def build(filters):
        data = queries.network(
            services_visible_to(request.user), queries.shelters_for_reports(request.user), filters
        )
        rows = [[kind, data["opened"][kind], data["active"][kind]] for kind in data["opened"]]

        def page():
            chart_rows = [{"label": kind, "count": active} for kind, _opened, active in rows]
            title = _("Services active in the period, by kind")
            return {"rows": rows, "chart": bar_chart(chart_rows, title=title)}

        return Report(
            title=_("The network: services opened and active"),
            sheet=_("Services opened and active"),
            data=data,
            header=[_("Kind"), _("Opened in the period"), _("Active in the period")],
            rows=rows,
            page=page,
        )

    return exports.answer(
        request, _filter_form(request), template="reports/network.html", build=build
    )


@never_cache
@scope_required(reads_reports)
def cases(request):
    form = _filter_form(request, CasesReportForm, dimensions=DIMENSION_LABELS)

    def build(filters):
        dimension = form.cleaned_data["by"]
        label = DIMENSION_LABELS[dimension]
        title = _("Cases by %(dimension)s") % {"dimension": str(label).lower()}
        data = queries.cases_by(services_visible_to(request.user), filters, dimension)
        return Report(
            title=title,
            data=data,
            header=[_("Code"), label, _("Cases")],
            rows=[[row["key"], row["label"], row["count"]] for row in data["rows"]],
            page=lambda: {"dimension": dimension, "chart": bar_chart(data["rows"], title=title)},
        )

    # The breakdown asked for, to keep it in the links and the form even when it is refused.
    context = {"dimensions": DIMENSION_LABELS, "dimension": request.GET.get("by") or "month"}
    return exports.answer(
        request, form, template="reports/cases.html", build=build, context=context
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
