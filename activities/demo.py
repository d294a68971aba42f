"""Demo community activities for `seed_demo`: every demo SAR's prevention work of the last full
calendar year and of this year so far (a SAR that closed: its last year), realistic,
deterministic and idempotent.

Each activity is drawn from the seed, the service and its year alone, and carries the external id
`DEMO-<yyyymmdd>-<n>`: a rerun finds the ones stored and adds only the days since (none on the
same day), and the same seed gives the same activities whatever else exists. Like the demo cases,
they are generated data: no author and no audit entry; they pass the rules every write path
calls (`rules.clean_activity`) and take their codes from the service's yearly sequence, in the
order of their dates.

A few weekdays a week per SAR: workshops most, meetings with authorities, community-watch
training, care-route work, campaigns (more around 8 March and 25 November), a few fairs. Most
take place in the communities the SAR covers; some in communities where no case lives (the
"anexos" added here, which no SAR covers); some in the district itself, with no community.
Participants: fifteen or so a workshop, a handful of authorities a meeting, about a hundred at a
fair: some 2,500 a SAR a year, the order of the ministry's "more than 100,000 people reached" by
its 57 SARs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from services.models import CareService, Community, District

from . import rules
from .actions import activity_code, allocate_activity_numbers
from .models import Activity

DEMO_PREFIX = "DEMO-"
BATCH = 1000
# Activities a day, by weekday (Monday first): about two and a half a week.
WEEKDAY_RATE = (0.4, 0.4, 0.4, 0.4, 0.35, 0.15, 0.03)
# Fewer in the holidays and the rains (January, February), more in March (8M) and November (25N).
MONTH_FACTOR = (0.5, 0.6, 1.2, 1.0, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.3, 0.7)
CANCELLED_SHARE = 0.01
UNKNOWN_HOURS_SHARE = 0.05

# type: (weight, participants (low, high), share of women, men, girls, boys, hours (low, high),
# share held in a community rather than in the district's town)
TYPES = {
    "TALLER": (34, (6, 25), (0.55, 0.2, 0.15, 0.1), (2, 3), 0.85),
    "CAMPANA": (9, (20, 80), (0.35, 0.25, 0.22, 0.18), (3, 5), 0.4),
    "REUNION_AUTORIDADES": (17, (4, 15), (0.35, 0.65, 0, 0), (1.5, 3), 0.6),
    "VIGILANCIA_COMUNAL": (14, (8, 25), (0.45, 0.5, 0.03, 0.02), (3, 4), 0.9),
    "FERIA": (3, (40, 150), (0.35, 0.2, 0.25, 0.2), (4, 6), 0.2),
    "RUTA_ATENCION": (9, (6, 18), (0.45, 0.55, 0, 0), (2, 4), 0.3),
    "OTRA": (14, (5, 30), (0.5, 0.25, 0.15, 0.1), (1, 3), 0.6),
}
TOPICS = {
    "TALLER": [
        "Prevención de la violencia familiar",
        "Crianza sin violencia",
        "Autoestima y proyecto de vida para adolescentes",
        "Prevención de la violencia en el enamoramiento",
        "Derechos de las mujeres y ruta de atención",
        "Masculinidades sin violencia",
        "Prevención de la violencia sexual en niñas y niños",
    ],
    "CAMPANA": [
        "Campaña por una vida libre de violencia",
        "Difusión de la Línea 100 y del SAR",
        "Campaña «Quiere sin violencia»",
    ],
    "REUNION_AUTORIDADES": [
        "Reunión con la directiva de la comunidad campesina",
        "Coordinación con tenientes gobernadores y rondas campesinas",
        "Coordinación con el juez de paz",
        "Presentación del SAR en la asamblea comunal",
    ],
    "VIGILANCIA_COMUNAL": [
        "Capacitación a la red de vigilancia comunal",
        "Fortalecimiento de promotoras comunitarias",
        "Detección de señales de riesgo con las rondas campesinas",
    ],
    "FERIA": [
        "Feria informativa en la plaza del distrito",
        "Feria escolar de prevención",
    ],
    "RUTA_ATENCION": [
        "Construcción de la ruta de atención distrital",
        "Validación de la ruta comunal de atención",
        "Mesa de trabajo con el centro de salud y la comisaría",
    ],
    "OTRA": [
        "Visita a instituciones educativas",
        "Difusión radial en quechua",
        "Acompañamiento a la instancia distrital de concertación",
    ],
}
CAMPAIGN_TOPICS = {3: "Campaña por el Día Internacional de la Mujer (8M)", 11: "Campaña 25N"}
PARTNERS = [
    "Centro de salud",
    "Municipalidad distrital",
    "Institución educativa",
    "Comisaría",
    "Juzgado de paz",
    "DEMUNA",
    "Rondas campesinas",
]
CANCEL_REASON = "Registrada dos veces por error"
# Communities where activities reach and no case lives: no SAR covers them.
ANNEX_NAMES = [
    "Anexo Santa Rosa",
    "Anexo San Martín",
    "Anexo Virgen del Carmen",
    "Anexo Señor de Huanca",
    "Anexo Nueva Esperanza",
    "Anexo San Juan",
]
ANNEX_FIRST_SUFFIX = 101
ANNEXES_PER_DISTRICT = 2


def demo_activities(services: Iterable[CareService]):
    """The demo activities of these services (those `seed_activities` made)."""
    return Activity.objects.filter(service__in=list(services), external_id__startswith=DEMO_PREFIX)


def seed_annexes(*, seed: int, districts: Iterable[District]) -> list[Community]:
    """Create (or find) the annexes of these districts: chosen by the seed and the district
    alone, so that SARs covering the same district share them."""
    annexes = []
    for district in districts:
        rng = random.Random(f"{seed}:annexes:{district.code}")
        for i, name in enumerate(rng.sample(ANNEX_NAMES, ANNEXES_PER_DISTRICT)):
            community, _created = Community.objects.get_or_create(
                code=f"{district.code}{ANNEX_FIRST_SUFFIX + i:04d}",
                defaults={"district": district, "name": name, "kind": Community.Kind.CAMPESINA},
            )
            annexes.append(community)
    return annexes


def _places(service: CareService, annexes: dict[str, list[int]]) -> list[tuple[str, list, list]]:
    """The SAR's districts (its seat three times, as it works there most) with their covered
    communities and their annexes (ids)."""
    covered = defaultdict(list)
    for district, community in service.covered_communities.values_list("district_id", "id"):
        covered[district].append(community)
    districts = sorted(service.covered_districts.values_list("code", flat=True)) or [
        service.district_id
    ]
    places = [(code, sorted(covered[code]), annexes.get(code, [])) for code in districts]
    seat = [place for place in places if place[0] == service.district_id]
    return places + seat * 2


TYPE_CODES = list(TYPES)
TYPE_WEIGHTS = [spec[0] for spec in TYPES.values()]
# Around 8 March and 25 November, campaigns weigh five times as much.
CAMPAIGN_WEIGHTS = [spec[0] * (5 if code == "CAMPANA" else 1) for code, spec in TYPES.items()]


def _draw(rng: random.Random, day: date, places) -> dict:
    """One activity on `day`: the data `register_activity` would take."""
    campaign_days = (day.month == 3 and day.day <= 10) or (day.month == 11 and day.day >= 18)
    weights = CAMPAIGN_WEIGHTS if campaign_days else TYPE_WEIGHTS
    kind = rng.choices(TYPE_CODES, weights=weights)[0]
    _weight, (low, high), shares, (short, long), in_community = TYPES[kind]
    district, communities, annexes = rng.choice(places)
    community = None
    if rng.random() < in_community and (communities or annexes):
        pool = annexes if annexes and (not communities or rng.random() < 0.25) else communities
        community = rng.choice(pool)
    people = rng.randint(low, high)
    counts = [0, 0, 0, 0]
    for group in rng.choices(range(4), weights=shares, k=people):
        counts[group] += 1
    hours = None
    if rng.random() >= UNKNOWN_HOURS_SHARE:
        hours = Decimal(rng.randrange(int(short * 2), int(long * 2) + 1)) / 2
    topic = rng.choice(TOPICS[kind])
    if kind == "CAMPANA" and campaign_days:
        topic = CAMPAIGN_TOPICS[day.month]
    partners = ", ".join(rng.sample(PARTNERS, rng.choice([0, 1, 1, 2])))
    women, men, girls, boys = counts
    return {
        "date": day,
        "duration_hours": hours,
        "district_id": district,
        "community_id": community,
        "type": kind,
        "topic": topic,
        "women": women,
        "men": men,
        "girls": girls,
        "boys": boys,
        "partners": partners,
    }


def _days(service: CareService, today: date) -> Iterable[date]:
    """The days of the demo: from 1 January of last year to today while the service was open;
    for a SAR that closed before, its last year."""
    last = min(today, service.closed_on or today)
    first = max(service.opened_on, min(date(today.year - 1, 1, 1), last - timedelta(days=364)))
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def planned_activities(
    *, seed: int, service: CareService, today: date, places
) -> list[tuple[str, dict]]:
    """Every demo activity of `service` up to `today`: (external id, data), by date.

    Each year is drawn from its own stream, from its first day on: the activities of a day do
    not depend on the day the demo is seeded."""
    planned = []
    rngs: dict[int, random.Random] = {}
    for day in _days(service, today):
        if day.year not in rngs:
            rngs[day.year] = random.Random(f"{seed}:{service.code}:{day.year}")
        rng = rngs[day.year]
        rate = WEEKDAY_RATE[day.weekday()] * MONTH_FACTOR[day.month - 1]
        count = (rng.random() < rate) + (rng.random() < rate * 0.2)
        for n in range(1, count + 1):
            data = _draw(rng, day, places)
            cancelled = rng.random() < CANCELLED_SHARE
            planned.append((f"{DEMO_PREFIX}{day:%Y%m%d}-{n}", {**data, "cancelled": cancelled}))
    return planned


def seed_activities(
    *, seed: int, services: Sequence[CareService], today: date | None = None
) -> int:
    """Make sure every demo SAR holds its demo activities up to `today` (Lima's date by
    default); return how many were added (none on a rerun the same day)."""
    today = today or timezone.localdate()
    sars = [service for service in services if service.kind == CareService.Kind.SAR]
    with transaction.atomic():
        districts = District.objects.filter(
            code__in={
                code
                for sar in sars
                for code in sar.covered_districts.values_list("code", flat=True)
            }
        ).order_by("code")
        annexes: dict[str, list[int]] = defaultdict(list)
        for annex in seed_annexes(seed=seed, districts=districts):
            annexes[annex.district_id].append(annex.pk)
        stored = set(demo_activities(sars).values_list("service_id", "external_id"))
        now = timezone.now()
        new: list[dict] = []
        for sar in sars:
            planned = [
                (external_id, data)
                for external_id, data in planned_activities(
                    seed=seed, service=sar, today=today, places=_places(sar, annexes)
                )
                if (sar.pk, external_id) not in stored
            ]
            by_year: dict[int, list[tuple[str, dict]]] = defaultdict(list)
            for external_id, data in planned:
                by_year[data["date"].year].append((external_id, data))
            for year, rows in sorted(by_year.items()):
                numbers = allocate_activity_numbers(sar, year, len(rows))
                for (external_id, data), number in zip(rows, numbers, strict=True):
                    new.append(_activity(sar, year, number, external_id, data, now))
        _insert(new)
    return len(new)


def _activity(service, year, number, external_id, data, now) -> dict:
    """The activity's row (by attribute name), after the rules every write path calls."""
    data = dict(data)
    cancelled = data.pop("cancelled")
    values = {
        **{name: data[name] for name in rules.RULE_FIELDS if name in data},
        "district": data["district_id"],
    }
    problems = rules.clean_activity(values, service=service)
    if problems:  # a bug in the generator, never the user's: say which rule it broke
        raise RuntimeError(f"demo activity {external_id} of {service.code}: {problems}")
    return {
        **data,
        "service_id": service.pk,
        "code": activity_code(service, year, number),
        "external_id": external_id,
        "created_at": now,
        "updated_at": now,
        "cancelled_at": now if cancelled else None,
        "cancel_reason": CANCEL_REASON if cancelled else "",
    }


def _insert(rows: list[dict]) -> None:
    """Store the rows in a few statements (a demo year is thousands of rows: the ORM's
    bulk_create spends seconds preparing each value). Every column the rows do not give takes
    the model's default; dates, times and decimals are adapted as the backend stores them."""
    if not rows:
        return
    ops = connection.ops
    fields = [field for field in Activity._meta.concrete_fields if not field.primary_key]
    adapt = {}
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            adapt[field.attname] = ops.adapt_datetimefield_value
        elif kind == "DateField":
            adapt[field.attname] = ops.adapt_datefield_value
        elif kind == "DecimalField":
            adapt[field.attname] = lambda value, field=field: ops.adapt_decimalfield_value(
                value, field.max_digits, field.decimal_places
            )
    defaults = {
        field.attname: field.get_default() for field in fields if field.attname not in rows[0]
    }

    def values(row):
        row = {**defaults, **row}
        return [
            adapt[field.attname](row[field.attname])
            if field.attname in adapt and row[field.attname] is not None
            else row[field.attname]
            for field in fields
        ]

    table = ops.quote_name(Activity._meta.db_table)
    columns = ", ".join(ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Only the model's own table and column names, quoted, are formatted into the SQL.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, [values(row) for row in rows[start : start + BATCH]])
