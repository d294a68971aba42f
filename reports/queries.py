"""The aggregate reports of DESIGN.md, computed in the database and limited to a scope.

Each function takes the filters and the querysets of what the asker may see, and returns plain
data (the JSON keys of the contract). "Region" in the filters and the `region` dimension is the
region of the service (or shelter) that handled the case, as in the ministry's bulletins; the
rural coverage counts the places where the people live, as its definition says. Community
activities are counted by the region of the service that ran them, and their places are where
they took place; a cancelled activity counts nowhere. Complaints and their protection measures
are counted by the service of their case (`Complaint.service`), and the legal clock's words
(deadline, pending, overdue, on time) are those of `cases/clock.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from activities import registry as activity_registry
from activities.models import Activity, participants_expression
from activities.rules import SERVICE_KINDS as ACTIVITY_SERVICE_KINDS
from cases import clock, measures, registry
from cases.models import Case, Complaint, ProtectionMeasure
from cases.rules import GRANTED_STATES
from services.models import CareService, Region
from services.scopes import scope_for
from shelters.models import Sex, Shelter, Stay

from .filters import ReportFilters

ADULT_AGE = 18
AGE_GROUPS = [(0, 5), (6, 11), (12, 17), (18, 25), (26, 35), (36, 45), (46, 59), (60, None)]
DIMENSIONS = [
    "month",
    "sex",
    "age_group",
    "violence_type",
    "risk_level",
    "region",
    "service_kind",
    "service",
]
# Dimensions that are a coded field of the case: the field and its registry variable (labels).
CODED_DIMENSIONS = {
    "sex": ("victim_sex", "SEXO_VICTIMA"),
    "violence_type": ("violence_type", "TIPO_VIOLENCIA"),
    "risk_level": ("risk_level", "NIVEL_DE_RIESGO_VICTIMA"),
}


def age_group_key(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}+"


def filter_services(services: QuerySet[CareService], filters: ReportFilters) -> QuerySet:
    if filters.region:
        services = services.filter(district__province__region=filters.region)
    if filters.service_kind:
        services = services.filter(kind=filters.service_kind)
    if filters.service:
        services = services.filter(code=filters.service)
    return services


def filter_shelters(shelters: QuerySet[Shelter], filters: ReportFilters) -> QuerySet[Shelter]:
    """Shelters are services of kind HRT: any other kind filter leaves none."""
    if filters.service_kind and filters.service_kind != "HRT":
        return shelters.none()
    if filters.region:
        shelters = shelters.filter(district__province__region=filters.region)
    if filters.service:
        shelters = shelters.filter(code=filters.service)
    return shelters


def cases_in(services: QuerySet[CareService], filters: ReportFilters) -> QuerySet[Case]:
    """Cases registered by these services with their intake date in the period."""
    return Case.objects.filter(
        service__in=filter_services(services, filters).values("pk"),
        intake_date__gte=filters.start,
        intake_date__lte=filters.end,
    )


def rural_coverage(services: QuerySet[CareService], filters: ReportFilters) -> dict:
    sars = filter_services(services, filters).filter(kind=CareService.Kind.SAR)
    cases = Case.objects.filter(
        service__in=sars.values("pk"),
        intake_date__gte=filters.start,
        intake_date__lte=filters.end,
    )
    # Group by place first (a hash aggregate the database runs in parallel), then count the
    # distinct places over those few rows: much faster than DISTINCT over every case.
    places = cases.order_by().values("district_id", "community_id").annotate(n=Count("pk"))
    figures = places.aggregate(
        cases=Coalesce(Sum("n"), 0),
        districts=Count("district_id", distinct=True),
        # A community is its own row (id), so the same 4-digit suffix in two districts is two;
        # cases without community add none (COUNT ignores NULL).
        communities=Count("community_id", distinct=True),
        provinces=Count(Substr("district_id", 1, 4), distinct=True),
        regions=Count(Substr("district_id", 1, 2), distinct=True),
    )
    return {
        "period": filters.period(),
        "services": sars.active_between(filters.start, filters.end).count(),
        **figures,
        **activity_coverage(activities_in(sars, filters)),
    }


def activities_in(services: QuerySet[CareService], filters: ReportFilters) -> QuerySet[Activity]:
    """The activities the reports count: not cancelled, of these services (already filtered),
    dated in the period."""
    return Activity.objects.counted().filter(
        service__in=services.values("pk"), date__gte=filters.start, date__lte=filters.end
    )


def activity_coverage(activities: QuerySet[Activity]) -> dict[str, int]:
    """What the rural coverage adds for activities: how many, their participants, and the
    distinct places they reached (a community is its own row, so the same 4-digit suffix in two
    districts is two; activities without community add none). One query, grouped by place
    first like the cases'."""
    places = (
        activities.order_by()
        .values("district_id", "community_id")
        .annotate(n=Count("pk"), people=Sum(participants_expression()))
    )
    return places.aggregate(
        activities=Coalesce(Sum("n"), 0),
        participants=Coalesce(Sum("people"), 0),
        activity_districts=Count("district_id", distinct=True),
        activity_communities=Count("community_id", distinct=True),
    )


def _by_kind(rows) -> dict[str, int]:
    counts = dict.fromkeys(["CEM", "SAR", "CAI", "HRT"], 0)
    counts.update(dict(rows))
    return counts


def network(
    services: QuerySet[CareService], shelters: QuerySet | None, filters: ReportFilters
) -> dict:
    """Services and shelters opened in, and active during, the period, by kind."""
    services = filter_services(services, filters)
    opened = services.filter(opened_on__gte=filters.start, opened_on__lte=filters.end)
    active = services.active_between(filters.start, filters.end)

    def kinds(queryset):
        return queryset.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n")

    result = {
        "period": filters.period(),
        "opened": _by_kind(kinds(opened)),
        "active": _by_kind(kinds(active)),
    }
    shelters = filter_shelters(shelters, filters)
    result["opened"]["HRT"] = shelters.filter(
        opened_on__gte=filters.start, opened_on__lte=filters.end
    ).count()
    result["active"]["HRT"] = (
        shelters.filter(opened_on__lte=filters.end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=filters.start))
        .count()
    )
    return result


def _rows(labelled, counts: dict, *, unknown: bool = False) -> list[dict]:
    """Rows of `labelled` (key, label) pairs with their counts, zeros included.

    A value that is not among them still counts, under its own key; cases whose value is
    unknown (NULL) count under "No registrado", key null, as the ministry's bulletins do. That
    row is always there when the value may be unknown (`unknown`), zero included: a row shown
    only when it is not zero would tell, even hidden, that it holds at least one case.
    """
    labelled = [(key, str(label)) for key, label in labelled]
    known = {key for key, _label in labelled}
    labelled += [(key, str(key)) for key in counts if key is not None and key not in known]
    rows = [{"key": key, "label": label, "count": counts.get(key, 0)} for key, label in labelled]
    if unknown or counts.get(None):
        rows.append({"key": None, "label": gettext("Not recorded"), "count": counts.get(None, 0)})
    return rows


def _regions_in_scope(services: QuerySet[CareService], counted) -> list[tuple[str, str]]:
    """(code, name) of every region with a service in scope, and of any other that was
    counted: a region listed only when it has something would tell that it has at least one."""
    of_services = services.order_by().annotate(r=Substr("district_id", 1, 2)).values("r")
    counted = {key for key in counted if key is not None}
    names = dict(
        Region.objects.filter(Q(code__in=of_services) | Q(code__in=counted)).values_list(
            "code", "name"
        )
    )
    return [(code, names.get(code, code)) for code in sorted(set(names) | counted)]


def _services_in_scope(services: QuerySet[CareService], filters, counted_pks) -> list[tuple]:
    """(pk, code, name) of every service in scope open at some time in the period, and of any
    other that was counted, for the same reason (zeros included)."""
    active = services.active_between(filters.start, filters.end).values("pk")
    return list(
        CareService.objects.filter(Q(pk__in=active) | Q(pk__in=list(counted_pks)))
        .order_by("code")
        .values_list("pk", "code", "name")
    )


def _months(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _age_group_expression():
    whens = [
        When(
            victim_age__gte=low,
            **({"victim_age__lte": high} if high is not None else {}),
            then=Value(age_group_key(low, high)),
        )
        for low, high in AGE_GROUPS
    ]
    return SqlCase(*whens, output_field=CharField())


def _grouped(cases: QuerySet[Case], expression) -> dict:
    """Cases counted by the value of `expression` (a field name or an expression)."""
    if isinstance(expression, str):
        cases = cases.values(k=F(expression))
    else:
        cases = cases.annotate(k=expression).values("k")
    return dict(cases.annotate(n=Count("pk")).values_list("k", "n"))


def cases_by(services: QuerySet[CareService], filters: ReportFilters, dimension: str) -> dict:
    """Cases in the period broken down by one dimension: rows of key, label and count."""
    cases = cases_in(services, filters).order_by()
    if dimension == "month":
        counts = _grouped(cases, TruncMonth("intake_date"))
        counts = {(month.strftime("%Y-%m") if month else None): n for month, n in counts.items()}
        rows = _rows([(key, key) for key in _months(filters.start, filters.end)], counts)
    elif dimension in CODED_DIMENSIONS:
        field, variable = CODED_DIMENSIONS[dimension]
        nullable = Case._meta.get_field(field).null
        rows = _rows(registry.choices(variable), _grouped(cases, field), unknown=nullable)
    elif dimension == "age_group":
        keys = [age_group_key(low, high) for low, high in AGE_GROUPS]
        rows = _rows([(key, key) for key in keys], _grouped(cases, _age_group_expression()))
    elif dimension == "service_kind":
        rows = _rows(CareService.Kind.choices, _grouped(cases, "service__kind"))
    elif dimension == "region":
        counts = _grouped(cases, Substr("service__district_id", 1, 2))
        rows = _rows(_regions_in_scope(filter_services(services, filters), counts), counts)
    elif dimension == "service":
        counts = _grouped(cases, "service_id")
        names = _services_in_scope(filter_services(services, filters), filters, counts)
        by_code = {code: counts[pk] for pk, code, _name in names if pk in counts}
        rows = _rows([(code, name) for _pk, code, name in names], by_code)
    else:
        raise ValueError(dimension)
    return {
        "period": filters.period(),
        "dimension": dimension,
        "rows": rows,
        "total": sum(row["count"] for row in rows),
    }


ACTIVITY_DIMENSIONS = ["month", "type", "service", "region"]


def _grouped_activities(activities: QuerySet[Activity], expression) -> dict:
    """Activities counted by the value of `expression`: {key: (activities, participants)}."""
    if isinstance(expression, str):
        activities = activities.values(k=F(expression))
    else:
        activities = activities.annotate(k=expression).values("k")
    grouped = activities.annotate(n=Count("pk"), people=Sum(participants_expression()))
    return {k: (n, people) for k, n, people in grouped.values_list("k", "n", "people")}


def activities_by(services: QuerySet[CareService], filters: ReportFilters, dimension: str) -> dict:
    """Activities in the period broken down by one dimension: rows of key, label, count (of
    activities) and participants; `total` counts the activities, `participants_total` their
    participants. Every activity has a date, a type and a service, so no row is unknown."""
    activities = activities_in(filter_services(services, filters), filters).order_by()
    if dimension == "month":
        grouped = _grouped_activities(activities, TruncMonth("date"))
        grouped = {month.strftime("%Y-%m"): value for month, value in grouped.items()}
        labelled = [(key, key) for key in _months(filters.start, filters.end)]
    elif dimension == "type":
        grouped = _grouped_activities(activities, "type")
        labelled = activity_registry.choices()
    elif dimension == "region":
        grouped = _grouped_activities(activities, Substr("service__district_id", 1, 2))
        registering = filter_services(services, filters).filter(kind__in=ACTIVITY_SERVICE_KINDS)
        labelled = _regions_in_scope(registering, grouped)
    elif dimension == "service":
        by_pk = _grouped_activities(activities, "service_id")
        registering = filter_services(services, filters).filter(kind__in=ACTIVITY_SERVICE_KINDS)
        names = _services_in_scope(registering, filters, by_pk)
        grouped = {code: by_pk[pk] for pk, code, _name in names if pk in by_pk}
        labelled = [(code, name) for _pk, code, name in names]
    else:
        raise ValueError(dimension)
    rows = _rows(labelled, {key: n for key, (n, _people) in grouped.items()})
    for row in rows:
        row["participants"] = grouped.get(row["key"], (0, 0))[1]
    return {
        "period": filters.period(),
        "dimension": dimension,
        "rows": rows,
        "total": sum(row["count"] for row in rows),
        "participants_total": sum(row["participants"] for row in rows),
    }


@dataclass
class OpenData:
    """The open-data table with its exact counts: `total` is the column of each row's total,
    `groups` the columns of each group of counts that adds up to it (sex, type of violence,
    age group); `activities` and `participants` the columns of the service's community
    activities and their participants. It leaves the system only through the disclosure
    control (`reports.disclosure`).
    """

    header: list[str]
    rows: list[list]
    total: int
    groups: list[list[int]]
    activities: int | None = None
    participants: int | None = None


def open_data_table(services: QuerySet[CareService], year: int) -> OpenData:
    """The layout of the national open-data table of cases: one row per service for a calendar
    year, totals by sex, by type of violence and by age group; then, appended so that the
    other columns keep their places, the service's community activities in the year (not
    cancelled) and their participants. A service with activities and no case has its row."""
    violence = registry.choices("TIPO_VIOLENCIA")
    sex = {"men": Count("pk", filter=Q(victim_sex=1)), "women": Count("pk", filter=Q(victim_sex=0))}
    by_violence = {
        f"violence_{code}": Count("pk", filter=Q(violence_type=code)) for code, _label in violence
    }
    by_age = {
        f"age_{low}": Count(
            "pk",
            filter=Q(victim_age__gte=low) & (Q(victim_age__lte=high) if high is not None else Q()),
        )
        for low, high in AGE_GROUPS
    }
    filters = ReportFilters(start=date(year, 1, 1), end=date(year, 12, 31))
    per_service = {
        row.pop("service_id"): row
        for row in cases_in(services, filters)
        .order_by()
        .values("service_id")
        .annotate(total=Count("pk"), **sex, **by_violence, **by_age)
    }
    per_service_activities = _grouped_activities(
        activities_in(services, filters).order_by(), "service_id"
    )
    header = [
        "AÑO",
        "UBIGEO",
        "DEPARTAMENTO",
        "PROVINCIA",
        "DISTRITO",
        "CODIGO SERVICIO",
        "NOMBRE CENTRO ATENCION",
        "N° CASOS ATENDIDOS-TOTAL",
        "N° CASOS ATENDIDOS - HOMBRES - TOTAL",
        "N° CASOS ATENDIDOS - MUJERES - TOTAL",
        *[label.upper() for _code, label in violence],
        *[f"{age_group_key(low, high)} AÑOS" for low, high in AGE_GROUPS],
        "N° ACTIVIDADES PREVENTIVAS",
        "N° PARTICIPANTES EN ACTIVIDADES PREVENTIVAS",
    ]
    total = header.index("N° CASOS ATENDIDOS-TOTAL")
    groups, column = [], total + 1
    for group in (sex, by_violence, by_age):
        groups.append(list(range(column, column + len(group))))
        column += len(group)
    no_cases = dict.fromkeys(["total", *sex, *by_violence, *by_age], 0)
    rows = []
    # Every service in scope open in the year has its row, zeros included: a row there only
    # when it had cases or activities would tell, however its cells are hidden, that it had.
    active = services.active_between(filters.start, filters.end).values("pk")
    for service in (
        CareService.objects.filter(
            Q(pk__in=active) | Q(pk__in=[*per_service, *per_service_activities])
        )
        .select_related("district__province__region")
        .order_by("district_id", "code")
    ):
        counts = per_service.get(service.pk, no_cases)
        activities, participants = per_service_activities.get(service.pk, (0, 0))
        rows.append(
            [
                year,
                service.district_id,
                service.district.province.region.name.upper(),
                service.district.province.name.upper(),
                service.district.name.upper(),
                service.code,
                service.name,
                counts["total"],
                *[counts[key] for group in (sex, by_violence, by_age) for key in group],
                activities,
                participants,
            ]
        )
    return OpenData(
        header=header,
        rows=rows,
        total=total,
        groups=groups,
        activities=len(header) - 2,
        participants=len(header) - 1,
    )


def complaints_in(services: QuerySet[CareService], filters: ReportFilters) -> QuerySet[Complaint]:
    """Complaints of these services (filtered) filed on a day of the period, the day being the
    services' (America/Lima): from the start of `from` to the start of the day after `to`."""
    return Complaint.objects.filter(
        service__in=filter_services(services, filters).values("pk"),
        filed_at__gte=clock.start_of_day(filters.start),
        filed_at__lt=clock.start_of_day(filters.end + timedelta(days=1)),
    )


def protection(
    services: QuerySet[CareService], filters: ReportFilters, *, now: datetime | None = None
) -> dict:
    """The legal clock: complaints filed in the period, the measures granted for them (whenever
    granted), how many on time, the median hours from complaint to measure, the complaints
    overdue now (whatever their filing date) and the measures granted by type.

    Four queries whatever the number of complaints: the complaints counted, the granted
    measures counted by type (and on time), the middle one or two of their durations, and the
    overdue complaints.
    """
    now = now or timezone.now()
    complaints = complaints_in(services, filters)
    granted = ProtectionMeasure.objects.filter(
        complaint__in=complaints.values("pk"), state__in=sorted(GRANTED_STATES)
    ).order_by()
    # On time as `clock.within_deadline` says (exactly at the deadline is on time), in SQL.
    on_time = Q(decided_at__lte=F("complaint__deadline"))
    counts = granted.values("measure_type").annotate(
        n=Count("pk"), on_time=Count("pk", filter=on_time)
    )
    by_type, within = {}, 0
    for row in counts:
        by_type[row["measure_type"]] = row["n"]
        within += row["on_time"]
    total = sum(by_type.values())
    overdue = clock.pending_complaints().filter(
        service__in=filter_services(services, filters).values("pk"), deadline__lt=now
    )
    return {
        "period": filters.period(),
        "complaints": complaints.count(),
        "measures_granted": total,
        "granted_within_deadline": within,
        "median_hours_to_measure": _median_hours(granted, total),
        "overdue_now": overdue.count(),
        "by_type": _rows(measures.TYPES.choices(), by_type),
    }


def _median_hours(granted: QuerySet[ProtectionMeasure], count: int) -> float | None:
    """The median of the hours from each complaint's filing to its measure's decision, to one
    decimal; None without measures. The middle one or two durations are read in order in SQL:
    durations are exact to the microsecond on SQLite and PostgreSQL alike, so both give the same
    median (no percentile function exists in both)."""
    if not count:
        return None
    duration = ExpressionWrapper(
        F("decided_at") - F("complaint__filed_at"), output_field=DurationField()
    )
    ordered = granted.annotate(duration=duration).order_by("duration")
    middle = list(ordered.values_list("duration", flat=True)[(count - 1) // 2 : count // 2 + 1])
    seconds = sum(middle, timedelta()).total_seconds() / len(middle)
    return round(seconds / 3600, 1)


def filter_stays(stays: QuerySet[Stay], filters: ReportFilters) -> QuerySet[Stay]:
    """Stays overlapping the period in shelters that pass the filters."""
    if filters.service_kind and filters.service_kind != "HRT":
        return stays.none()
    if filters.region:
        stays = stays.filter(shelter__district__province__region=filters.region)
    if filters.service:
        stays = stays.filter(shelter__code=filters.service)
    return stays.overlapping(filters.start, filters.end)


def shelters_report(stays: QuerySet[Stay], filters: ReportFilters) -> dict:
    """People with a stay overlapping the period, each counted once however many stays.

    A person is classed (woman, girl, boy, man) by her sex and her age at admission to her
    first stay that overlaps the period.
    """
    rows = (
        filter_stays(stays, filters)
        .order_by("person_id", "admitted_on", "pk")
        .values_list("person_id", "person__sex", "age_at_admission")
    )
    first: dict[int, tuple[int, int]] = {}
    stay_count = 0
    for person, sex, age in rows.iterator(chunk_size=5000):
        stay_count += 1
        first.setdefault(person, (sex, age))
    counts = {"women": 0, "girls": 0, "boys": 0, "men": 0}
    for sex, age in first.values():
        adult = age >= ADULT_AGE
        if sex == Sex.FEMALE:
            counts["women" if adult else "girls"] += 1
        else:
            counts["men" if adult else "boys"] += 1
    return {
        "period": filters.period(),
        "people_sheltered": len(first),
        **counts,
        "stays": stay_count,
    }


def people_sheltered_by_month(stays: QuerySet[Stay], filters: ReportFilters) -> list[dict]:
    """Occupancy over time: distinct people in a shelter at some time in each month."""
    spans = list(
        filter_stays(stays, filters).values_list("person_id", "admitted_on", "discharged_on")
    )
    rows = []
    for key in _months(filters.start, filters.end):
        year, month = int(key[:4]), int(key[5:])
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        people = {
            person
            for person, admitted, discharged in spans
            if admitted <= last and (discharged is None or discharged >= first)
        }
        rows.append({"key": key, "label": key, "count": len(people)})
    return rows


def shelters_for_reports(user) -> QuerySet[Shelter]:
    """Shelters whose figures this user may read: all (national, administrators), her
    region's (regional managers and shelter staff), none otherwise."""
    scope = scope_for(user)
    if scope.sees_all_services:
        return Shelter.objects.all()
    return Shelter.objects.filter(
        district__province__region__in=scope.manager_regions | scope.shelter_regions
    )


def stays_for_reports(user) -> QuerySet[Stay]:
    """Stays in those shelters, and for a caseworker the stays her services referred."""
    scope = scope_for(user)
    if scope.sees_all_services:
        return Stay.objects.all()
    return Stay.objects.filter(
        Q(shelter__in=shelters_for_reports(user).values("pk"))
        | Q(referring_service__in=scope.service_ids)
    )


def regions_for_reports(user) -> QuerySet[Region]:
    """Regions whose figures this user may read, for the region filter: all (national,
    administrators), a manager's or shelter staff's regions, and a caseworker's services'."""
    scope = scope_for(user)
    if scope.sees_all_services:
        return Region.objects.all()
    of_services = (
        CareService.objects.filter(pk__in=scope.service_ids)
        .annotate(region_code=Substr("district_id", 1, 2))
        .values("region_code")
    )
    return Region.objects.filter(
        Q(code__in=scope.manager_regions | scope.shelter_regions) | Q(code__in=of_services)
    )
