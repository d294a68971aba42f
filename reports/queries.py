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

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext

from activities import registry as activity_registry
from activities.rules import SERVICE_KINDS as ACTIVITY_SERVICE_KINDS
from cases import clock, measures, registry
from cases.models import Case, Complaint, ProtectionMeasure
from cases.rules import GRANTED_STATES
from reports import rollups
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


def _places(fact: str, services: QuerySet[CareService], filters: ReportFilters) -> dict:
    """The distinct places the fact reached in the period, from the rollup's `place` keys
    ("district:community"): districts, communities (a community is its own row, so the same
    4-digit suffix in two districts is two; facts without community add none), and the
    provinces and regions of those districts."""
    return rollups.places(fact, services, filters.start, filters.end)


def _total(fact: str, services: QuerySet[CareService], filters: ReportFilters) -> list[int]:
    """[count, extra sum] of the fact in the period."""
    found = rollups.counts(fact, "total", services, filters.start, filters.end, by=())
    return found.get((), [0, 0])


def rural_coverage(services: QuerySet[CareService], filters: ReportFilters) -> dict:
    sars = filter_services(services, filters).filter(kind=CareService.Kind.SAR)
    return {
        "period": filters.period(),
        "services": sars.active_between(filters.start, filters.end).count(),
        "cases": _total("case", sars, filters)[0],
        **_places("case", sars, filters),
        **activity_coverage(sars, filters),
    }


def activity_coverage(services: QuerySet[CareService], filters: ReportFilters) -> dict[str, int]:
    """What the rural coverage adds for activities of these services (already filtered): how
    many (not cancelled), their participants, and the distinct places they reached."""
    activities, participants = _total("activity", services, filters)
    places = _places("activity", services, filters)
    return {
        "activities": activities,
        "participants": participants,
        "activity_districts": places["districts"],
        "activity_communities": places["communities"],
    }


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
    active = services.active_between(filters.start, filters.end)
    rows = list(active.order_by("code").values_list("pk", "code", "name"))
    # Hundreds of ids as parameters cost more than reading the services in scope (8 ms against
    # 1 at 502 services): only counted services that were not open (none, in consistent data)
    # make the list read again with their ids.
    missing = set(counted_pks) - {pk for pk, _code, _name in rows}
    if missing:
        rows = list(
            CareService.objects.filter(Q(pk__in=active.values("pk")) | Q(pk__in=sorted(missing)))
            .order_by("code")
            .values_list("pk", "code", "name")
        )
    return rows


def _months(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _by_key(fact: str, dimension: str, services, filters, convert=str) -> dict:
    """{key: count} of one dimension of the fact in the period; the rollup's '' (not
    recorded) is None, other keys pass through `convert` (int for coded fields)."""
    found = rollups.counts(fact, dimension, services, filters.start, filters.end)
    return {(convert(key) if key != "" else None): n for (key,), (n, _extra) in found.items()}


def _per_service(fact: str, services, filters) -> dict[int, list[int]]:
    """{service pk: [count, extra sum]} of the fact in the period."""
    found = rollups.counts(fact, "total", services, filters.start, filters.end, by=("service",))
    return {service: value for (service,), value in found.items()}


def _by_service_attribute(per_service: dict, services, attribute) -> dict:
    """Sum per-service figures by an attribute of the service (its kind, its region); the
    figures are of `services` (read whole: cheaper than their ids as parameters)."""
    grouped: dict = {}
    for pk, kind, district in services.order_by().values_list("pk", "kind", "district_id"):
        if pk not in per_service:
            continue
        key = attribute(kind, district)
        total = grouped.setdefault(key, [0, 0])
        total[0] += per_service[pk][0]
        total[1] += per_service[pk][1]
    return grouped


def cases_by(services: QuerySet[CareService], filters: ReportFilters, dimension: str) -> dict:
    """Cases in the period broken down by one dimension: rows of key, label and count. Read
    from the rollup (reports/rollups.py)."""
    scoped = filter_services(services, filters)
    if dimension == "month":
        found = rollups.counts("case", "total", scoped, filters.start, filters.end, by=("month",))
        counts = {month: n for (month,), (n, _extra) in found.items()}
        rows = _rows([(key, key) for key in _months(filters.start, filters.end)], counts)
    elif dimension in CODED_DIMENSIONS:
        field, variable = CODED_DIMENSIONS[dimension]
        nullable = Case._meta.get_field(field).null
        counts = _by_key("case", dimension, scoped, filters, int)
        rows = _rows(registry.choices(variable), counts, unknown=nullable)
    elif dimension == "age_group":
        keys = [age_group_key(low, high) for low, high in AGE_GROUPS]
        rows = _rows([(key, key) for key in keys], _by_key("case", "age_group", scoped, filters))
    elif dimension == "service_kind":
        per_kind = _by_service_attribute(
            _per_service("case", scoped, filters), scoped, lambda kind, _d: kind
        )
        rows = _rows(CareService.Kind.choices, {k: v[0] for k, v in per_kind.items()})
    elif dimension == "region":
        per_region = _by_service_attribute(
            _per_service("case", scoped, filters), scoped, lambda _k, district: district[:2]
        )
        counts = {k: v[0] for k, v in per_region.items()}
        rows = _rows(_regions_in_scope(scoped, counts), counts)
    elif dimension == "service":
        counts = {pk: value[0] for pk, value in _per_service("case", scoped, filters).items()}
        names = _services_in_scope(scoped, filters, counts)
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


def activities_by(services: QuerySet[CareService], filters: ReportFilters, dimension: str) -> dict:
    """Activities in the period broken down by one dimension: rows of key, label, count (of
    activities) and participants; `total` counts the activities, `participants_total` their
    participants. Every activity has a date, a type and a service, so no row is unknown."""
    scoped = filter_services(services, filters)
    registering = scoped.filter(kind__in=ACTIVITY_SERVICE_KINDS)
    if dimension == "month":
        found = rollups.counts(
            "activity", "total", scoped, filters.start, filters.end, by=("month",)
        )
        grouped = {month: value for (month,), value in found.items()}
        labelled = [(key, key) for key in _months(filters.start, filters.end)]
    elif dimension == "type":
        found = rollups.counts("activity", "type", scoped, filters.start, filters.end)
        grouped = {key: value for (key,), value in found.items()}
        labelled = activity_registry.choices()
    elif dimension == "region":
        grouped = _by_service_attribute(
            _per_service("activity", scoped, filters), scoped, lambda _k, district: district[:2]
        )
        labelled = _regions_in_scope(registering, grouped)
    elif dimension == "service":
        by_pk = _per_service("activity", scoped, filters)
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
    # Each column: its name and the rollup's (dimension, key) it reads.
    sex = {"men": ("sex", "1"), "women": ("sex", "0")}
    by_violence = {f"violence_{code}": ("violence_type", str(code)) for code, _label in violence}
    by_age = {f"age_{low}": ("age_group", age_group_key(low, high)) for low, high in AGE_GROUPS}
    filters = ReportFilters(start=date(year, 1, 1), end=date(year, 12, 31))
    found = {
        dimension: rollups.counts(
            "case", dimension, services, filters.start, filters.end, by=("service", "key")
        )
        for dimension in ("total", "sex", "violence_type", "age_group")
    }
    per_service = {}
    for (service, _key), (n, _extra) in found["total"].items():
        per_service[service] = {
            "total": n,
            **{
                name: found[dimension].get((service, key), [0])[0]
                for name, (dimension, key) in {**sex, **by_violence, **by_age}.items()
            },
        }
    per_service_activities = {
        service: tuple(value)
        for service, value in _per_service("activity", services, filters).items()
    }
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

    The counts come from the rollup (reports/rollups.py: complaints by their Lima month, granted
    measures by their complaint's month, type and on time), and so does the median, from the
    waits' histogram and exact waits (`_median_hours`); the overdue complaints are counted on
    the pending index.
    """
    now = now or timezone.now()
    scoped = filter_services(services, filters)
    found = rollups.counts("measure", "type", scoped, filters.start, filters.end)
    by_type = {key: n for (key,), (n, _on_time) in found.items()}
    within = sum(on_time for _n, on_time in found.values())
    total = sum(by_type.values())
    granted = ProtectionMeasure.objects.filter(
        complaint__in=complaints_in(services, filters).values("pk"),
        state__in=sorted(GRANTED_STATES),
    ).order_by()
    overdue = clock.pending_complaints().filter(rollups.of_services(scoped), deadline__lt=now)
    return {
        "period": filters.period(),
        "complaints": _total("complaint", scoped, filters)[0],
        "measures_granted": total,
        "granted_within_deadline": within,
        "median_hours_to_measure": _median_hours(scoped, filters, granted, total),
        "overdue_now": overdue.count(),
        "by_type": _rows(measures.TYPES.choices(), by_type),
    }


def _median_hours(
    scoped: QuerySet[CareService],
    filters: ReportFilters,
    granted: QuerySet[ProtectionMeasure],
    count: int,
) -> float | None:
    """The median of the hours from each complaint's filing to its measure's decision, to one
    decimal; None without measures. The mean of the middle one or two waits, exact to the
    microsecond, found in two reads of the rollup (reports/rollups.py): the waits' histogram
    (`wait_hours`) says in which buckets the middle ranks fall, then the exact waits
    (`wait`) of those buckets alone give them: the first read has a row per service and
    bucket, the second a row per distinct wait of the middle's buckets, however many measures
    the period has. A wait that is negative (a decision recorded before its complaint) has no
    bucket, and two reads that disagree (a measure changed between them) cannot place the
    middle: the middle ones are then read in order from the measures themselves."""
    if not count:
        return None
    middle_ranks = ((count - 1) // 2, count // 2)
    histogram = rollups.counts("measure", "wait_hours", scoped, filters.start, filters.end)
    buckets = sorted((key, n) for (key,), (n, _extra) in histogram.items())
    if not buckets or buckets[0][0] == "-" or sum(n for _key, n in buckets) != count:
        return _median_hours_from_measures(granted, count)
    seen, first, last, before = 0, None, None, 0
    for key, n in buckets:
        if first is None and seen + n > middle_ranks[0]:
            first, before = int(key), seen
        if seen + n > middle_ranks[1]:
            last = int(key)
            break
        seen += n
    low = rollups.padded(rollups.wait_bucket(first)[0] * rollups.HOUR, rollups.WAIT_DIGITS)
    high = rollups.padded(rollups.wait_bucket(last)[1] * rollups.HOUR, rollups.WAIT_DIGITS)
    exact = rollups.counts("measure", "wait", scoped, filters.start, filters.end, keys=(low, high))
    in_buckets = sum(n for key, n in buckets if first <= int(key) <= last)
    if sum(n for n, _extra in exact.values()) != in_buckets:
        return _median_hours_from_measures(granted, count)
    middle, rank = [], before
    for (key,), (n, _extra) in sorted(exact.items()):
        middle += [int(key)] * (min(rank + n, middle_ranks[1] + 1) - max(rank, middle_ranks[0]))
        rank += n
        if rank > middle_ranks[1]:
            break
    if len(middle) != len(set(middle_ranks)):
        return _median_hours_from_measures(granted, count)
    seconds = sum(middle) / len(middle) / 1_000_000
    return round(seconds / 3600, 1)


def _median_hours_from_measures(granted: QuerySet[ProtectionMeasure], count: int) -> float:
    """The median as `_median_hours` gives it, read in order from the measures: the middle one
    or two durations, exact to the microsecond on SQLite and PostgreSQL alike."""
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
