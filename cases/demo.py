"""Synthetic cases for the demo network: realistic, deterministic by seed, fast by the million.

The rows go straight to the table (PostgreSQL COPY, batched INSERTs elsewhere) with the codes and
numbers the application itself would give. They carry no AuditEntry and no `created_by`: the
audit log records what people read and change, and generated demo data is neither.

`seed_legal_clock` gives them their complaints, protection measures and follow-ups (a third of
the cases have a complaint; measures mostly granted, many within the 24 hours, some late, some
denied, some still requested; follow-ups done, cancelled, due and overdue), in the same way.
"""

from __future__ import annotations

import json
import logging
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, islice
from time import perf_counter

from django.db import connection, models, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from services.demo import seed_network
from services.models import CareService, Community, District

from . import registry
from .actions import case_code, case_number
from .models import AuditEntry, Case, CaseSequence, Complaint, FollowUp, ProtectionMeasure
from .rules import GRANTED_STATES

# A bulk seed's phases and their times (no case's data): where a bench's minutes go.
logger = logging.getLogger(__name__)

YEARS_BACK = 4
# A CEM (urban, often 24 hours) attends about four times the cases of a rural SAR.
CEM_WEIGHT, SAR_WEIGHT = 4.0, 1.0
YEARLY_GROWTH = 0.08  # the registry's yearly counts grow; recent years weigh a little more
MONTH_FACTOR = (1.05, 0.95, 1.08, 1.02, 1.04, 0.98, 0.97, 1.0, 0.99, 1.01, 0.98, 0.93)
WEEKDAY_FACTOR = {
    "SAR": (1, 1, 1, 1, 1, 0.5, 0.2),
    "CEM": (1, 1, 1, 1, 1, 0.4, 0.1),
    "CEM24": (1, 1, 1, 1, 1, 0.8, 0.7),
}
INSERT_BATCH = 2000
# From this many cases at once (PostgreSQL), the tables' foreign keys are checked once after the
# load rather than row by row at commit (_foreign_keys_checked_once): a seed of this size is a
# bench's or a new demo's, which may lock the tables meanwhile.
BULK_ROWS = 500_000
# From this many rows at once (PostgreSQL), the cases' indexes are built after the load rather
# than kept row by row (_indexes_built_after). Measured on one machine the same day, one run
# each: ten million cases seeded in 1,300 s with it and 1,393 s without (cases 442 s against
# 500 s, their clock 845 s against 878 s); a million in 154 s with it and 145 s without:
# building thirteen indexes costs about what it saves until they are gigabytes. At least
# BULK_ROWS: the cases' foreign keys must be dropped first (an index is not built while its
# table's rows wait for a deferred check).
INDEX_REBUILD_ROWS = 5_000_000
DRAW_CHUNK = 100_000

# Official codes of the registry dictionary (the tests check every value against the choices).
FEMALE, MALE = 0, 1  # SEXO_VICTIMA, SEXO_AGRESOR
PARTNER, FAMILY, NEITHER = 1, 2, 3  # VINCULO_AGRESOR_VICTIMA
QUECHUA, AIMARA, CASTELLANO, PORTUGUES = 1, 2, 10, 11  # LENGUA_MATERNA_VICTIMA
URBAN, RURAL = 1, 2  # AREA_RESIDENCIA_DOMICILIO
ECONOMIC, PSYCHOLOGICAL, PHYSICAL, SEXUAL = 0, 1, 2, 3  # TIPO_VIOLENCIA
LIVES_NO, LIVES_YES, LIVES_SOMETIMES = 0, 1, 2  # AGRESOR_VIVE_CASA_VICTIMA
BRAZIL = 26  # VICTIMA_PAIS_EXTRANJERO

# Synthetic DNIs are a bijection of the case's index onto 90000000..99999999, so no two demo
# cases share one: a shared DNI would make a "new" case look like a returning person.
DNI_BASE, DNI_SPAN, DNI_STRIDE = 90_000_000, 10_000_000, 7_368_787

FEMALE_NAMES = (
    "María", "Rosa", "Juana", "Carmen", "Luz", "Elena", "Yolanda", "Gladys", "Marisol", "Nancy",
    "Flor", "Maribel", "Lourdes", "Sonia", "Margarita", "Vilma", "Hilda", "Delia", "Julia",
    "Norma", "Ruth", "Noemí", "Yessenia", "Milagros", "Katherine", "Ana", "Lucía", "Valeria",
    "Fiorella", "Sheyla", "Roxana", "Edith", "Felícitas", "Eulogia", "Teodora", "Santusa",
    "Nilda", "Beatriz", "Pilar", "Judith", "Elizabeth", "Maritza", "Dina", "Isabel", "Sabina",
    "Saturnina", "Yanet", "Mery", "Brenda", "Killa", "Sisa", "Nayeli", "Dayana", "Rocío",
)  # fmt: skip
MALE_NAMES = (
    "Juan", "José", "Luis", "Carlos", "Jorge", "Víctor", "Wilber", "Edwin", "Percy", "Walter",
    "Rolando", "Hugo", "Alberto", "Mario", "Julio", "Jhon", "Brayan", "Jhonatan", "Kevin",
    "Anderson", "Fredy", "Efraín", "Teófilo", "Santos", "Isaac", "Ángel", "Yony", "Rubén",
    "César", "Elmer", "Thiago", "Mateo",
)  # fmt: skip
SURNAMES = (
    "Quispe", "Mamani", "Huamán", "Condori", "Flores", "Apaza", "Choque", "Ccama", "Huanca",
    "Cusi", "Ticona", "Cruz", "Rojas", "Gutiérrez", "Chambi", "Pari", "Calla", "Layme",
    "Sánchez", "García", "Ramos", "Torres", "Vargas", "Díaz", "Rodríguez", "López", "Hancco",
    "Ccori", "Yupanqui", "Huaraca", "Palomino", "Taipe", "Cárdenas", "Ayala", "Tito", "Paucar",
    "Chávez", "Mendoza", "Castillo", "Zúñiga", "Villca", "Soncco", "Huillca", "Ccahuana",
    "Luque", "Pacheco", "Alanoca", "Callo", "Limachi", "Sucasaca", "Coaquira", "Cutipa",
    "Medina", "Salazar", "Espinoza", "Ccopa", "Puma", "Cjuro", "Vilca", "Álvarez", "Romero",
    "Inca", "Pillco", "Auccapuma", "Huacho", "Ñaupa", "Yucra", "Arapa", "Chura", "Tacuri",
)  # fmt: skip


class Weighted:
    """Draw one of several values with relative weights (bisection on cumulative weights)."""

    __slots__ = ("values", "cum", "total")

    def __init__(self, pairs: Iterable[tuple[object, float]]):
        pairs = [(value, weight) for value, weight in pairs if weight > 0]
        self.values = [value for value, _ in pairs]
        self.cum = list(accumulate(weight for _, weight in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect(self.cum, rng.random() * self.total)]


def W(mapping: dict) -> Weighted:
    """Return a `Weighted` of {value: weight}."""
    return Weighted(mapping.items())


# Age groups of the ministry's bulletins; most adults are 18 to 45, some are children.
AGE_GROUPS = W(
    {(0, 5): 5, (6, 11): 10, (12, 17): 13, (18, 25): 14, (26, 35): 21, (36, 45): 18,
     (46, 59): 12, (60, 99): 7}
)  # fmt: skip
# By life stage: 0-11, 12-17, 18-59, 60+.
CHILD, TEEN, ADULT, ELDER = range(4)
FEMALE_SHARE = {CHILD: 0.60, TEEN: 0.78, ADULT: 0.92, ELDER: 0.80}
VIOLENCE_TYPE = {
    CHILD: W({PSYCHOLOGICAL: 42, PHYSICAL: 44, SEXUAL: 14}),
    TEEN: W({PSYCHOLOGICAL: 33, PHYSICAL: 30, SEXUAL: 37}),
    ADULT: W({PSYCHOLOGICAL: 49, PHYSICAL: 41, SEXUAL: 7, ECONOMIC: 3}),
    ELDER: W({PSYCHOLOGICAL: 56, PHYSICAL: 30, SEXUAL: 2, ECONOMIC: 12}),
}
RISK = {
    ECONOMIC: W({1: 55, 2: 38, 3: 7}),
    PSYCHOLOGICAL: W({1: 45, 2: 42, 3: 13}),
    PHYSICAL: W({1: 25, 2: 45, 3: 30}),
    SEXUAL: W({1: 18, 2: 40, 3: 42}),
}
COMPLAINT_SHARE = {ECONOMIC: 0.30, PSYCHOLOGICAL: 0.35, PHYSICAL: 0.55, SEXUAL: 0.50}
# How often each sub-act is ticked; those not listed weigh 1, "other" ones less.
ACT_WEIGHT = {
    "GRITOS_INSULTOS": 12, "DESVALORIZACION_HUMILLACION": 7, "OTRAS_AMENAZAS": 5,
    "AMENAZA_DE_MUERTE": 4, "VIGILANCIA_CONTINUA_PERSECUCION": 3, "BOTAR_CASA": 3,
    "AMENAZA_QUITAR_HIJOS": 3, "ROMPE_DESTRUYE_COSAS": 2, "RECHAZO": 2, "INDIFERENCIA": 2,
    "PUÑETAZOS": 8, "BOFETADAS": 8, "EMPUJONES": 7, "JALONES_CABELLO": 5,
    "PUNTAPIES_PATADAS": 5, "GOLPES_CON_OBJETOS_CONTUNDENTES": 3, "AHORCAMIENTO": 2,
    "LATIGAZO": 2, "VIOLACION": 6, "ACOSO_SEXUAL": 4, "HOSTIGAMIENTO_SEXUAL": 3,
    "LIMITACION_RECURSOS_ECONOMICOS": 5, "INCUMPLIMIENTO_OBLIGACION_ALIMENTARIA": 5,
    "DESTRUIR_BIEN_PERSONAL": 2, "CONTROL_DE_INGRESOS": 2,
}  # fmt: skip
ACT_COUNT = W({1: 35, 2: 35, 3: 20, 4: 10})

RELATIONSHIP = {
    CHILD: W({FAMILY: 88, NEITHER: 12}),
    TEEN: W({FAMILY: 55, PARTNER: 20, NEITHER: 25}),
    ADULT: W({PARTNER: 78, FAMILY: 18, NEITHER: 4}),
    ELDER: W({PARTNER: 35, FAMILY: 58, NEITHER: 7}),
}
MALE_ADULT_RELATIONSHIP = W({PARTNER: 40, FAMILY: 50, NEITHER: 10})
# VINCULO_PAREJA: 1 cónyuge, 2 ex cónyuge, 3 conviviente, 4 ex conviviente, 5 enamorado,
# 6 ex enamorado, 7 novio, 8 ex novio, 9 progenitor de su hijo, 10 otra relación.
PARTNER_KIND = {
    TEEN: W({5: 50, 6: 30, 7: 5, 8: 5, 3: 8, 9: 2}),
    ADULT: W({1: 14, 2: 4, 3: 34, 4: 24, 5: 5, 6: 6, 7: 1, 8: 1, 9: 10, 10: 1}),
    ELDER: W({1: 55, 2: 5, 3: 30, 4: 10}),
}
# Whether a partner of that kind is likely to share the home (see LIVES_WITH).
PARTNER_HOME = {**dict.fromkeys((2, 4, 6, 8), "ex"), **dict.fromkeys((5, 7, 9), "boyfriend")}
# VINCULO_FAMILIAR: 1 padre/madre, 2 padrastro, 3 hijo, 5 abuelo, 6 hermano, 8 nieto,
# 10 tío, 11 sobrino, 14 primo, 16 suegro, 17 yerno/nuera, 18 cuñado, 19 otro familiar.
FAMILY_KIND = {
    CHILD: W({1: 55, 2: 14, 5: 5, 6: 6, 7: 1, 10: 8, 14: 5, 19: 6}),
    TEEN: W({1: 50, 2: 16, 5: 4, 6: 9, 10: 8, 14: 6, 19: 7}),
    ADULT: W({3: 18, 1: 18, 6: 20, 16: 12, 18: 12, 17: 4, 10: 4, 14: 3, 19: 9}),
    ELDER: W({3: 55, 8: 10, 17: 12, 6: 8, 11: 6, 19: 9}),
}
OLDER_RELATIVE = {1: (18, 40), 2: (18, 40), 5: (40, 60), 10: (10, 30), 16: (18, 35)}
YOUNGER_RELATIVE = {3: (18, 40), 4: (18, 40), 8: (40, 60), 11: (20, 40), 17: (18, 35)}
# SIN_VINCULO: 1 vecino, 2 concuñado, 3 docente, 4 compañero de estudios, 5 empleador,
# 6 compañero de trabajo, 8 habita en el mismo hogar, 9 desconocido, 10 otro.
OTHER_KIND = {
    CHILD: W({1: 30, 3: 12, 4: 20, 8: 8, 9: 15, 10: 15}),
    TEEN: W({1: 25, 3: 8, 4: 25, 8: 6, 9: 20, 10: 16}),
    ADULT: W({1: 35, 2: 7, 5: 8, 6: 10, 8: 5, 9: 20, 10: 15}),
    ELDER: W({1: 45, 2: 5, 8: 10, 9: 20, 10: 20}),
}
SAME_HOME = 8
LIVES_WITH = {
    "partner": W({LIVES_YES: 75, LIVES_SOMETIMES: 15, LIVES_NO: 10}),
    "boyfriend": W({LIVES_NO: 70, LIVES_SOMETIMES: 25, LIVES_YES: 5}),
    "ex": W({LIVES_NO: 80, LIVES_SOMETIMES: 18, LIVES_YES: 2}),
    "family": W({LIVES_YES: 55, LIVES_NO: 35, LIVES_SOMETIMES: 10}),
    "other": W({LIVES_NO: 85, LIVES_YES: 10, LIVES_SOMETIMES: 5}),
}
AGGRESSOR_MALE_SHARE = {FAMILY: 0.68, NEITHER: 0.85}

CONDITION = W({1: 74, 2: 10, 3: 9, 4: 4, 5: 3})  # mostly Nuevo
ENTRY_ROUTE = {
    "SAR": W({1: 52, 6: 12, 4: 8, 15: 10, 7: 7, 16: 5, 12: 3, 11: 3}),
    "CEM": W({1: 58, 15: 15, 16: 7, 12: 5, 7: 5, 3: 4, 17: 2, 21: 1, 14: 1, 5: 2}),
}
FOREIGN_SHARE = {"SAR": 0.005, "CEM": 0.02}
FOREIGN_COUNTRY = W({188: 80, 42: 8, 23: 5, 52: 4, BRAZIL: 3})  # mostly Venezuela
# Mother tongue by region (Cusco, Puno, Ayacucho, Huánuco; else mostly Spanish); rural more so.
TONGUES = {
    "08": {QUECHUA: 55, CASTELLANO: 43, 9: 2},
    "21": {QUECHUA: 40, AIMARA: 30, CASTELLANO: 30},
    "05": {QUECHUA: 55, CASTELLANO: 45},
    "10": {QUECHUA: 35, CASTELLANO: 65},
    None: {CASTELLANO: 85, QUECHUA: 12, 3: 1, 9: 2},
}
ETHNICITY = {
    QUECHUA: W({1: 75, 7: 20, 9: 5}),
    AIMARA: W({2: 80, 7: 15, 9: 5}),
    None: W({7: 70, 1: 12, 6: 3, 5: 2, 3: 2, 8: 3, 9: 8}),
}
EDUCATION = {
    "SAR": W({1: 8, 3: 20, 4: 15, 5: 20, 6: 25, 7: 4, 8: 4, 9: 2, 10: 2}),
    "CEM": W({1: 2, 3: 6, 4: 8, 5: 14, 6: 35, 7: 8, 8: 10, 9: 6, 10: 10, 12: 1}),
    ELDER: W({1: 35, 3: 35, 4: 15, 5: 5, 6: 7, 10: 3}),
    TEEN: W({4: 25, 5: 70, 11: 5}),
}
MARITAL = [  # (up to age, weights): 1 soltera, 2 casada, 3 divorciada, 4 viuda
    (25, W({1: 85, 2: 13, 3: 1, 4: 1})),
    (45, W({1: 55, 2: 38, 3: 5, 4: 2})),
    (59, W({1: 35, 2: 50, 3: 8, 4: 7})),
    (200, W({1: 20, 2: 45, 3: 5, 4: 30})),
]
# Living children: under 18 for victims of 18 to 49, grown ones from 36 on.
CHILDREN_YOUNG = W({0: 20, 1: 30, 2: 27, 3: 13, 4: 7, 5: 3})
CHILDREN_GROWN = [  # (up to age, weights)
    (35, None),
    (45, W({0: 60, 1: 28, 2: 12})),
    (59, W({0: 10, 1: 20, 2: 30, 3: 20, 4: 12, 5: 8})),
    (200, W({0: 5, 1: 10, 2: 20, 3: 25, 4: 20, 5: 12, 6: 8})),
]

STATUS_BY_AGE = [  # (days since intake, up to; weights): recent cases open, old ones closed
    (15, W({"open": 70, "in_care": 30})),
    (90, W({"open": 15, "in_care": 65, "referred": 10, "closed": 10})),
    (365, W({"in_care": 30, "referred": 8, "closed": 62})),
    (10**9, W({"in_care": 6, "referred": 2, "closed": 92})),
]
CLOSURE_REASON = W(
    {"completed": 62, "transferred": 8, "withdrew": 12, "unreachable": 13, "other": 5}
)
MEAN_DAYS_TO_CLOSE = 75
WORKDAY_MINUTES = 10 * 60  # intake between 08:00 and 18:00


@dataclass
class ServicePlan:
    """What the generator needs to know about one service, gathered once."""

    service: CareService
    kind: str  # "SAR" or "CEM"
    residence: Weighted  # -> (district code, community id or None)
    seat: str
    tongue: Weighted
    first_day: int  # ordinals, both inclusive
    last_day: int
    closed_on: int | None


def demo_cases(services: Iterable[CareService]) -> models.QuerySet[Case]:
    """Return the synthetic cases of these services: those nobody registered or imported.

    Cases from the intake form have an author, and those from an import (with or without one)
    an "imported" audit entry; generated ones have neither.
    """
    registered = AuditEntry.objects.filter(
        case=OuterRef("pk"), action__in=[AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT]
    )
    return Case.objects.filter(service__in=list(services), created_by__isnull=True).exclude(
        Exists(registered)
    )


def seed_cases(
    *,
    count: int,
    seed: int,
    services: Sequence[CareService] | None = None,
    today: date | None = None,
) -> int:
    """Make sure the demo network's SARs and CEMs hold `count` synthetic cases; return the added.

    Only the missing cases are added, so a rerun with the same count adds none. `services` is
    the demo network (built from `seed` when not given); `today` defaults to Lima's date.
    """
    if services is None:
        services = seed_network(seed=seed)
    services = [s for s in services if s.kind in (CareService.Kind.SAR, CareService.Kind.CEM)]
    today = today or timezone.localdate()
    with transaction.atomic():
        existing = demo_cases(services).count()
        missing = count - existing
        if missing <= 0 or not services:
            return 0
        # The seed and what exists fix the stream, so the same state gives the same cases.
        rng = random.Random(f"{seed}:{existing}")
        places = ProvincePlaces().load(
            s.district_id[:4] for s in services if s.kind == CareService.Kind.CEM
        )
        plans = [
            plan
            for plan in (_plan(service, today, places) for service in services)
            if plan is not None
        ]
        if not plans:
            return 0
        # Every number is reserved before the first row goes out: no query can run on the
        # connection while a COPY is streaming (and the rows are generated lazily).
        blocks = _number_blocks(plans, _draw_days(rng, plans, missing))
        with (
            _foreign_keys_checked_once([Case], bulk=missing >= BULK_ROWS),
            _indexes_built_after([Case], bulk=missing >= INDEX_REBUILD_ROWS),
        ):
            started = perf_counter()
            _insert(CaseRows(rng, today=today, first_index=existing).rows(blocks))
            if missing >= BULK_ROWS:
                logger.info(
                    "Demo seed: %d cases copied in %.1f s.", missing, perf_counter() - started
                )
    if connection.vendor == "postgresql" and missing >= 10_000:
        # Fresh statistics, so that the reports' queries are planned for the table's real size.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Case._meta.db_table)}")
    return missing


def _plan(
    service: CareService, today: date, places: ProvincePlaces | None = None
) -> ServicePlan | None:
    """Gather what the rows of `service` need; None if it was not open in the last years."""
    first = max(service.opened_on, _years_before(today, YEARS_BACK) + timedelta(days=1))
    last = min(service.closed_on or today, today)
    if first > last:
        return None
    region = service.district_id[:2]
    tongues = dict(TONGUES.get(region, TONGUES[None]))
    indigenous = 1.5 if service.kind == CareService.Kind.SAR else 0.6
    tongue = W({code: w * (1 if code == CASTELLANO else indigenous) for code, w in tongues.items()})
    if service.kind == CareService.Kind.SAR:
        residence = _sar_residence(service)
    else:
        residence = _cem_residence(service, places)
    return ServicePlan(
        service=service,
        kind="SAR" if service.kind == CareService.Kind.SAR else "CEM",
        residence=residence,
        seat=service.district_id,
        tongue=tongue,
        first_day=first.toordinal(),
        last_day=last.toordinal(),
        closed_on=service.closed_on.toordinal() if service.closed_on else None,
    )


def _sar_residence(service: CareService) -> Weighted:
    """Weight the SAR's covered communities (most cases) and districts (cases without one)."""
    districts = list(service.covered_districts.values_list("code", flat=True)) or [
        service.district_id
    ]
    communities = list(service.covered_communities.values_list("district_id", "id"))
    # The seat's own communities are the nearest, so they weigh a little more.
    options = [((d, c), 3.0 if d == service.district_id else 2.0) for d, c in communities]
    with_community = sum(w for _, w in options)
    # A fifth of the cases (all, with no community covered) name no community.
    without = with_community / 4 if options else 1.0
    district_weights = {d: 2.0 if d == service.district_id else 1.0 for d in districts}
    total = sum(district_weights.values())
    options += [((d, None), without * w / total) for d, w in district_weights.items()]
    return Weighted(options)


def _cem_residence(service: CareService, places: ProvincePlaces | None = None) -> Weighted:
    """Weight the districts of the CEM's province: its own most, seldom with a community."""
    # A district's code starts with its province's.
    districts, communities = (places or ProvincePlaces()).of(service.district_id[:4])
    others = max(len(districts) - 1, 1)
    options = []
    for district in districts:
        weight = 0.45 if district == service.district_id else 0.55 / others
        known = communities.get(district, [])
        share = 0.1 if known else 0.0
        options.append(((district, None), weight * (1 - share)))
        options += [((district, c), weight * share / len(known)) for c in known]
    return Weighted(options)


class ProvincePlaces:
    """The districts of a province and their communities (ids), by district code: read once
    for all the CEMs of a province, or of every province at once (`load`)."""

    def __init__(self):
        self.districts: dict[str, list[str]] = {}
        self.communities: dict[str, dict[str, list[int]]] = {}

    def load(self, provinces: Iterable[str]) -> ProvincePlaces:
        provinces = sorted(set(provinces) - set(self.districts))
        if not provinces:
            return self
        for province in provinces:
            self.districts[province], self.communities[province] = [], {}
        for code, province in (
            District.objects.filter(province_id__in=provinces)
            .order_by("code")
            .values_list("code", "province_id")
        ):
            self.districts[province].append(code)
        for district, community in (
            Community.objects.filter(district__province_id__in=provinces)
            .order_by("district_id", "id")
            .values_list("district_id", "id")
        ):
            self.communities[district[:4]].setdefault(district, []).append(community)
        return self

    def of(self, province: str) -> tuple[list[str], dict[str, list[int]]]:
        self.load([province])
        return self.districts[province], self.communities[province]


def _years_before(day: date, years: int) -> date:
    """Return the same day `years` earlier (28 February for a 29th in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _draw_days(rng: random.Random, plans: list[ServicePlan], total: int) -> list[list[int]]:
    """Share `total` cases out over each service's days (seasons, weekdays, growth, size)."""
    cells, weights = [], []
    first_year = min(plan.first_day for plan in plans)
    for p, plan in enumerate(plans):
        size = SAR_WEIGHT if plan.kind == CareService.Kind.SAR else CEM_WEIGHT
        week = WEEKDAY_FACTOR[
            "CEM24" if plan.service.open_24h else "CEM" if plan.kind == "CEM" else "SAR"
        ]
        for day in range(plan.first_day, plan.last_day + 1):
            when = date.fromordinal(day)
            growth = 1 + YEARLY_GROWTH * (day - first_year) / 365
            cells.append((p, day - plan.first_day))
            weights.append(size * growth * MONTH_FACTOR[when.month - 1] * week[when.weekday()])
    counts = [[0] * (plan.last_day - plan.first_day + 1) for plan in plans]
    cum = list(accumulate(weights))
    indexes = range(len(cells))
    for start in range(0, total, DRAW_CHUNK):
        for i in rng.choices(indexes, cum_weights=cum, k=min(DRAW_CHUNK, total - start)):
            p, offset = cells[i]
            counts[p][offset] += 1
    return counts


# A service's cases of one year: (plan, year, [(day, how many)], reserved numbers).
Block = tuple[ServicePlan, int, list[tuple[int, int]], range]


def _number_blocks(plans: list[ServicePlan], counts: list[list[int]]) -> list[Block]:
    """Reserve each (service, year)'s numbers in one block, as `open_case` would one by one.

    All blocks in a few statements whatever the number of services (the national network has
    five hundred): the missing sequence rows are created, all of them locked, then bumped."""
    wanted: dict[tuple[int, int], int] = {}
    by_plan = []
    for plan, days in zip(plans, counts, strict=True):
        by_year: dict[int, list[tuple[int, int]]] = {}
        for offset, n in enumerate(days):
            if n:
                day = plan.first_day + offset
                by_year.setdefault(date.fromordinal(day).year, []).append((day, n))
        for year, year_days in sorted(by_year.items()):
            wanted[plan.service.pk, year] = sum(n for _, n in year_days)
        by_plan.append((plan, sorted(by_year.items())))
    reserved = _allocate_blocks(wanted)
    return [
        (plan, year, year_days, reserved[plan.service.pk, year])
        for plan, years in by_plan
        for year, year_days in years
    ]


def _allocate_blocks(wanted: dict[tuple[int, int], int]) -> dict[tuple[int, int], range]:
    """`allocate_case_numbers` for many (service id, year) at once: {key: numbers}."""
    if not wanted:
        return {}
    CaseSequence.objects.bulk_create(
        [CaseSequence(service_id=service, year=year) for service, year in wanted],
        ignore_conflicts=True,
        batch_size=1000,
    )
    services = sorted({service for service, _year in wanted})
    years = sorted({year for _service, year in wanted})
    sequences = [
        sequence
        for sequence in CaseSequence.objects.select_for_update()
        .filter(service_id__in=services, year__in=years)
        .order_by("pk")
        if (sequence.service_id, sequence.year) in wanted
    ]
    reserved = {}
    for sequence in sequences:
        count = wanted[sequence.service_id, sequence.year]
        reserved[sequence.service_id, sequence.year] = range(
            sequence.last + 1, sequence.last + 1 + count
        )
        sequence.last += count
    # The rows are locked until the transaction ends: nobody else bumps them meanwhile.
    CaseSequence.objects.bulk_update(sequences, ["last"], batch_size=500)
    return reserved


class CaseRows:
    """Generate the rows of new cases, as tuples in the order of `GENERATED`."""

    def __init__(self, rng: random.Random, *, today: date, first_index: int):
        self.rng = rng
        self.today = today.toordinal()
        self.index = first_index
        self.now = timezone.now()
        tz = timezone.get_default_timezone()
        # 08:00 local time of every day a case may touch, in UTC (cheap to add minutes to).
        start = _years_before(today, YEARS_BACK + 1).toordinal()
        self.morning = {
            day: datetime.combine(date.fromordinal(day), time(8), tz).astimezone(UTC)
            for day in range(start, self.today + 1)
        }
        self.acts = {}
        for code, variables in registry.violence_acts().items():
            names = [v.name for v in variables]
            self.acts[code] = (
                Weighted((n, 0.3 if n.startswith("OTRA") else ACT_WEIGHT.get(n, 1)) for n in names),
                {n: i for i, n in enumerate(names)},
            )

    def rows(self, blocks: list[Block]) -> Iterator[tuple]:
        """Yield every new case, service by service and day by day, numbered per year."""
        rng = self.rng
        for plan, year, year_days, numbers in blocks:
            sequences = iter(numbers)
            for day, n in year_days:
                for minute in sorted(rng.randrange(WORKDAY_MINUTES) for _ in range(n)):
                    yield self.row(plan, day, year, next(sequences), minute)

    def row(self, plan: ServicePlan, day: int, year: int, sequence: int, minute: int) -> tuple:
        """Return one case's values, in the order of `GENERATED`."""
        rng = self.rng
        r = rng.random
        intake = date.fromordinal(day)
        index = self.index
        self.index += 1

        # The person
        low, high = AGE_GROUPS(rng)
        age = 60 + min(int(rng.expovariate(1 / 9)), 39) if low == 60 else rng.randint(low, high)
        stage = CHILD if age < 12 else TEEN if age < 18 else ADULT if age < 60 else ELDER
        sex = FEMALE if r() < FEMALE_SHARE[stage] else MALE
        first_names = FEMALE_NAMES if sex == FEMALE else MALE_NAMES
        given = rng.choice(first_names)
        if r() < 0.25:
            given = f"{given} {rng.choice(first_names)}"
        name = f"{given} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        foreign = r() < FOREIGN_SHARE[plan.kind]
        if foreign:
            country = FOREIGN_COUNTRY(rng)
            tongue = PORTUGUES if country == BRAZIL else CASTELLANO
            ethnicity = None if r() < 0.3 else 9
            document_type = FOREIGN_DOCUMENT(rng)
            document = f"{rng.randrange(10**9):09d}" if document_type else ""
        else:
            country = None
            tongue = plan.tongue(rng)
            ethnicity = None if r() < 0.05 else ETHNICITY.get(tongue, ETHNICITY[None])(rng)
            has_dni = r() < (0.55 if stage <= TEEN else 0.68)
            document_type = Case.DocumentType.DNI.value if has_dni else ""
            document = str(DNI_BASE + (index * DNI_STRIDE + 12_345) % DNI_SPAN) if has_dni else ""
        birth = _birth_date(rng, intake, age) if document and r() < 0.8 else None
        if r() < 0.04:
            tongue = None
        if stage == ADULT:
            education = EDUCATION[plan.kind](rng)
        elif stage == ELDER:
            education = EDUCATION[ELDER](rng)
        elif stage == TEEN:
            education = EDUCATION[TEEN](rng)
        else:
            education = 1 if age < 3 else 2 if age < 6 else 3
        if r() < 0.03:
            education = None
        marital = None if age < 12 else 1 if age < 18 else _by_age(MARITAL, age)(rng)
        if sex == FEMALE and 12 <= age <= 49:
            pregnant = None if r() < 0.05 else r() < 0.06
        else:
            pregnant = None if sex == MALE or age < 12 else False
        if age < 14:
            works = False
        elif r() < 0.05:
            works = None
        else:
            works = r() < (
                0.1 if age < 18 else 0.25 if age >= 60 else 0.4 if plan.kind == "SAR" else 0.55
            )
        young = CHILDREN_YOUNG(rng) if 18 <= age <= 49 else int(15 <= age < 18 and r() < 0.05)
        grown_picker = _by_age(CHILDREN_GROWN, age)
        grown = grown_picker(rng) if grown_picker else 0
        daughters_young = sum(r() < 0.5 for _ in range(young))
        daughters_grown = sum(r() < 0.5 for _ in range(grown))

        # Residence
        district, community = plan.residence(rng)
        if plan.kind == CareService.Kind.SAR:
            area = RURAL if r() < 0.9 else URBAN
        else:
            area = URBAN if r() < (0.8 if district == plan.seat else 0.45) else RURAL
        if r() < 0.03:
            area = None

        # The alleged aggressor
        if sex == MALE and stage == ADULT:
            relationship = MALE_ADULT_RELATIONSHIP(rng)
        else:
            relationship = RELATIONSHIP[stage](rng)
        partner = family = other = None
        if relationship == PARTNER:
            partner = PARTNER_KIND[stage](rng)
            if sex == FEMALE:
                aggressor_sex = MALE if r() < 0.98 else FEMALE
            else:
                aggressor_sex = FEMALE if r() < 0.92 else MALE
            aggressor_age = age + round(rng.gauss(3, 5))
            lives = LIVES_WITH[PARTNER_HOME.get(partner, "partner")](rng)
        elif relationship == FAMILY:
            family = FAMILY_KIND[stage](rng)
            aggressor_sex = MALE if r() < AGGRESSOR_MALE_SHARE[FAMILY] else FEMALE
            if family in OLDER_RELATIVE:
                aggressor_age = age + rng.randint(*OLDER_RELATIVE[family])
            elif family in YOUNGER_RELATIVE:
                aggressor_age = age - rng.randint(*YOUNGER_RELATIVE[family])
            else:
                aggressor_age = age + rng.randint(-10, 10)
            lives = LIVES_WITH["family"](rng)
        else:
            other = OTHER_KIND[stage](rng)
            aggressor_sex = MALE if r() < AGGRESSOR_MALE_SHARE[NEITHER] else FEMALE
            aggressor_age = rng.randint(16, 65)
            lives = LIVES_YES if other == SAME_HOME else LIVES_WITH["other"](rng)
        aggressor_age = None if r() < 0.07 else min(max(aggressor_age, 12), 95)
        if r() < 0.04:
            lives = None

        # Violence and risk
        violence = VIOLENCE_TYPE[stage](rng)
        pick_act, order = self.acts[violence]
        wanted = min(ACT_COUNT(rng), len(order))
        chosen: set[str] = set()
        while len(chosen) < wanted:
            chosen.add(pick_act(rng))
        acts = json.dumps(sorted(chosen, key=order.__getitem__))
        risk = RISK[violence](rng)
        if r() < 0.05:
            complaint = wants = None
            measures = None
        elif r() < COMPLAINT_SHARE[violence]:
            complaint, wants = True, None
            measures = None if r() < 0.05 else r() < 0.55
        else:
            complaint = False
            wants = None if r() < 0.1 else r() < 0.5
            measures = None if r() < 0.05 else r() < 0.05

        # Life of the case
        days_ago = self.today - day
        # A service that has closed keeps no case open.
        status = "closed" if plan.closed_on else _by_age(STATUS_BY_AGE, days_ago)(rng)
        created = min(self.morning[day] + timedelta(minutes=minute), self.now)
        closed_on = None
        reason = ""
        if status == "closed":
            closed_day = day + min(int(rng.expovariate(1 / MEAN_DAYS_TO_CLOSE)), days_ago)
            reason = CLOSURE_REASON(rng)
            if plan.closed_on and closed_day > plan.closed_on:
                # A service that closed handed its open cases over to another one.
                closed_day, reason = plan.closed_on, Case.ClosureReason.TRANSFERRED.value
            closed_on = date.fromordinal(closed_day)
            touched = closed_day
        elif status == "open":
            touched = day
        else:
            touched = day + min(int(rng.expovariate(1 / 20)), days_ago)
        updated = min(
            max(self.morning[touched] + timedelta(minutes=rng.randrange(WORKDAY_MINUTES)), created),
            self.now,
        )
        return (
            plan.service.pk,
            case_code(plan.service, year, sequence),
            case_number(year, sequence),
            intake,
            CONDITION(rng),
            ENTRY_ROUTE[plan.kind](rng),
            name,
            document_type,
            document,
            birth,
            age,
            sex,
            not foreign,
            country,
            tongue,
            ethnicity,
            r() < (0.05 if stage == ELDER else 0.02),
            pregnant,
            education,
            marital,
            works,
            daughters_young,
            young - daughters_young,
            daughters_grown,
            grown - daughters_grown,
            district,
            community,
            area,
            aggressor_sex,
            aggressor_age,
            relationship,
            partner,
            family,
            other,
            lives,
            violence,
            acts,
            risk,
            complaint,
            wants,
            measures,
            status,
            closed_on,
            reason,
            1,
            None,
            created,
            updated,
        )


# The order of the values `CaseRows.row` returns, by attribute name.
GENERATED = (
    "service_id", "code", "number", "intake_date", "condition", "entry_route",
    "victim_name", "victim_document_type", "victim_document_number", "victim_birth_date",
    "victim_age", "victim_sex", "victim_peruvian", "victim_country", "victim_mother_tongue",
    "victim_ethnicity", "victim_disability", "victim_pregnant", "victim_education",
    "victim_marital_status", "victim_works", "daughters_0_17", "sons_0_17", "daughters_18_plus",
    "sons_18_plus", "district_id", "community_id", "residence_area", "aggressor_sex",
    "aggressor_age", "relationship", "partner_relationship", "family_relationship",
    "other_relationship", "aggressor_lives_with_victim", "violence_type", "violence_acts",
    "risk_level", "complaint_filed", "wants_to_file", "protective_measures", "status",
    "closed_on", "closure_reason", "version", "created_by_id", "created_at", "updated_at",
)  # fmt: skip

FOREIGN_DOCUMENT = W({"CE": 50, "PAS": 20, "": 30})


def _by_age(table: list[tuple[int, Weighted | None]], value: int) -> Weighted | None:
    """Return the entry of `table` for the first bound that `value` does not pass."""
    for bound, picker in table:
        if value <= bound:
            return picker
    return table[-1][1]


def _birth_date(rng: random.Random, intake: date, age: int) -> date:
    """Return a birth date that gives exactly `age` completed years on `intake`."""
    latest = _years_before(intake, age)
    earliest = _years_before(intake, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _insert(
    rows: Iterator[tuple], model: type[models.Model] = Case, generated: Sequence[str] = GENERATED
) -> None:
    """Store the generated rows of `model` (values in the order of `generated`), adding the
    model's defaults for any column not generated."""
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    unknown = set(generated) - set(fields)
    if unknown:
        raise RuntimeError(
            f"{model.__name__} has no field(s) {sorted(unknown)}: update cases/demo.py."
        )
    extra = [f for name, f in fields.items() if name not in generated]
    extra_values = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
    columns = [fields[name].column for name in generated] + [f.column for f in extra]
    if extra_values:
        rows = (row + extra_values for row in rows)
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one statement: no per-row round trip, no SQL to parse.
            with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = _adapters([*(fields[name] for name in generated), *extra])
        placeholders = ", ".join(["%s"] * len(columns))
        # Only the model's own table and column names, quoted, are formatted into the SQL.
        sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
        while batch := [adapt(row) for row in islice(rows, INSERT_BATCH)]:
            cursor.executemany(sql, batch)


def _foreign_keys(tables: list[str]) -> list[tuple[str, str, str]]:
    """PostgreSQL: the foreign keys of these tables, as (table, name, definition)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [tables],
        )
        return cursor.fetchall()


@contextmanager
def _foreign_keys_checked_once(models_: list[type[models.Model]], *, bulk: bool):
    """Within the caller's transaction, on PostgreSQL, for a bulk load (`bulk`): drop the
    tables' foreign keys, and add them back, the same, once the rows are in.

    Django's foreign keys are checked at commit, one query per row and key: at a million cases
    and their legal clock, 14 million checks and 82 s of the seed's 417. Added back, each key
    is checked by one join over the table. Both happen in the caller's transaction: if
    anything fails, the keys are as they were. Meanwhile the tables and those they refer to
    (services, places, users) are locked against every reader (ACCESS EXCLUSIVE), until the
    seed commits: the app waits for it, so only a bulk seed does this (a bench's, a new
    demo's). Elsewhere, or for fewer rows, nothing changes."""
    if connection.vendor != "postgresql" or not bulk:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Foreign keys are dropped only within a transaction.")
    keys = _foreign_keys([model._meta.db_table for model in models_])
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str, str, bool]]:
    """PostgreSQL: the indexes of these tables but their primary keys and those a foreign key
    refers to, as (table, name, definition, a constraint's?): a unique constraint's definition
    is the constraint's (`UNIQUE (code)`), any other index's its `CREATE INDEX` statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.indrelid::regclass::text, i.relname, "
            "COALESCE(pg_get_constraintdef(con.oid), pg_get_indexdef(x.indexrelid)), "
            "con.oid IS NOT NULL "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid "
            "AND con.conrelid = x.indrelid AND con.contype IN ('u', 'x') "
            "WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisprimary AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid) "
            "ORDER BY 1, 2",
            [tables],
        )
        return cursor.fetchall()


# The memory each index is sorted in when it is built after a bulk load: the largest (the cases'
# codes, at ten million) then sorts without spilling to disk.
INDEX_BUILD_MEMORY = "1GB"


@contextmanager
def _indexes_built_after(
    models_: list[type[models.Model]], *, bulk: bool, keep: Sequence[str] = ()
):
    """Within the caller's transaction, on PostgreSQL, for a bulk load (`bulk`): drop the
    tables' secondary indexes and unique constraints, and build them again, the same, once the
    rows are in, as `pg_get_indexdef` and `pg_get_constraintdef` give them (a plain index in
    the default tablespace). Primary keys, what a foreign key refers to, and the indexes named
    in `keep` stay.

    Every row written into a table adds an entry to each of its indexes, each in its own place:
    the cases' thirteen secondary indexes, at ten million rows, are gigabytes read and written
    at random (the victim's document, the code), for each case copied and again for each case
    the legal clock updates. Built after, each index is one sort of the table. A unique
    constraint is checked then, over every row: a duplicate fails the build, and the
    transaction with it. The tables stay locked against every reader meanwhile (ACCESS
    EXCLUSIVE), as for `_foreign_keys_checked_once`: only a bulk seed does this.

    An index built after rows of its table were updated in the same transaction serves none of
    the transaction's later queries (PostgreSQL marks it so, `indcheckxmin`): keep those that
    the rest of the transaction reads. Nor can it be built while the table's rows wait for a
    deferred check: a row inserted with its foreign keys in place (drop them first, with
    `_foreign_keys_checked_once`)."""
    if connection.vendor != "postgresql" or not bulk:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Indexes are dropped only within a transaction.")
    indexes = _secondary_indexes([model._meta.db_table for model in models_])
    if missing := set(keep) - {name for _table, name, _definition, _constraint in indexes}:
        raise RuntimeError(f"No index {sorted(missing)} to keep: update cases/demo.py.")
    indexes = [index for index in indexes if index[1] not in keep]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, _definition, constraint in indexes:
            if constraint:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            else:
                cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    started = perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('maintenance_work_mem')")
        (memory,) = cursor.fetchone()
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        for table, name, definition, constraint in indexes:
            if constraint:
                definition = f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
            cursor.execute(definition)
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])
    logger.info(
        "Demo seed: %d indexes built again in %.1f s.", len(indexes), perf_counter() - started
    )


def _adapters(fields: list[models.Field]) -> Callable[[tuple], list]:
    """Return a function that turns a row's dates and datetimes into what the backend stores."""
    ops = connection.ops
    converters = {}
    for i, field in enumerate(fields):
        if isinstance(field, models.DateTimeField):
            converters[i] = ops.adapt_datetimefield_value
        elif isinstance(field, models.DateField):
            converters[i] = ops.adapt_datefield_value
    pairs = list(converters.items())

    def adapt(row: tuple) -> list:
        values = list(row)
        for i, convert in pairs:
            if values[i] is not None:
                values[i] = convert(values[i])
        return values

    return adapt


# The legal clock of the demo cases -----------------------------------------------------------
# Complaints, protection measures and follow-ups, drawn for each demo case from the seed and the
# case's code alone, relative to its intake and its closing, and to the present: what has not
# happened by now is still pending. A case gets them once: a rerun draws only for the demo cases
# that have none (every case drawn gets at least one follow-up, so none is drawn twice).

CLOCK_CHUNK = 20_000
# The index of a service's cases, newest first (cases.models.Case.Meta).
SERVICE_LIST_INDEX = "case_service_list_idx"
# Of the cases whose record says a complaint was filed (INTERPUSO_DENUNCIA), those whose
# complaint is recorded in detail; some filed a second one (with the prosecutor, a court).
COMPLAINT_RECORDED = 0.85
SECOND_COMPLAINT = 0.15
PLACE = {
    "SAR": W({"police": 52, "peace_court": 22, "prosecutor": 14, "family_court": 12}),
    "CEM": W({"police": 64, "prosecutor": 16, "family_court": 14, "peace_court": 6}),
}
FILED_BY = W({"victim": 58, "service": 27, "relative": 12, "other": 3})
# The court's answer, by NIVEL_DE_RIESGO_VICTIMA ("none": no decision yet, or ever). Drawn from
# what the generator never changes, so that a case draws the same whatever was stored since.
OUTCOME = {
    1: W({"granted": 62, "denied": 18, "none": 20}),
    2: W({"granted": 72, "denied": 12, "none": 16}),
    3: W({"granted": 82, "denied": 6, "none": 12}),
}
# Decisions within the 24 hours, by NIVEL_DE_RIESGO_VICTIMA (a severe risk is heard sooner).
ON_TIME_SHARE = {1: 0.55, 2: 0.6, 3: 0.75}
LATE_MEAN_HOURS = 60
MEASURES_PER_COMPLAINT = W({1: 40, 2: 35, 3: 18, 4: 7})
MEASURE_TYPE = W(
    {"IMPEDIMENTO_ACERCAMIENTO": 30, "PROHIBICION_COMUNICACION": 25, "RETIRO_AGRESOR": 14,
     "TRATAMIENTO_VICTIMA": 10, "TRATAMIENTO_AGRESOR": 6, "PROHIBICION_ARMAS": 4,
     "ASIGNACION_ECONOMICA": 3, "PROHIBICION_RETIRO_HIJOS": 2, "ALBERGUE": 2, "OTRA": 2,
     "INVENTARIO_BIENES": 1, "PROHIBICION_DISPONER_BIENES": 1}
)  # fmt: skip
EXECUTOR = {
    "RETIRO_AGRESOR": "police", "IMPEDIMENTO_ACERCAMIENTO": "police",
    "PROHIBICION_COMUNICACION": "police", "PROHIBICION_ARMAS": "police",
    "PROHIBICION_RETIRO_HIJOS": "police", "INVENTARIO_BIENES": "judiciary",
    "ASIGNACION_ECONOMICA": "judiciary", "PROHIBICION_DISPONER_BIENES": "judiciary",
    "TRATAMIENTO_AGRESOR": "health", "TRATAMIENTO_VICTIMA": "health", "ALBERGUE": "shelter",
    "OTRA": "service",
}  # fmt: skip
# Another measure of a complaint granted otherwise is sometimes denied.
ONE_DENIED = 0.12
GRANTED_LATER = [  # (days since the decision, up to; weights): measures end with time
    (90, W({"granted": 57, "in_force": 40, "lifted": 3})),
    (365, W({"in_force": 45, "granted": 30, "lifted": 15, "expired": 10})),
    (10**9, W({"in_force": 20, "granted": 15, "lifted": 25, "expired": 40})),
]
NOTIFIED_SHARE = 0.85
# A pending complaint this old is usually set aside by now (the rest are the forgotten ones).
SET_ASIDE_AFTER = timedelta(days=45)
SET_ASIDE_SHARE = 0.75
SET_ASIDE_REASONS = (
    "La persona desistió de la denuncia.",
    "La fiscalía archivó la denuncia.",
    "La denuncia se registró dos veces.",
    "Las medidas se dictaron en otro proceso.",
)
FOLLOW_UPS_PER_CASE = W({1: 55, 2: 30, 3: 15})
FOLLOW_UP_KIND = {
    "SAR": W({"home_visit": 40, "call": 30, "accompaniment": 22, "other": 8}),
    "CEM": W({"home_visit": 20, "call": 50, "accompaniment": 25, "other": 5}),
}
FOLLOW_UP_NOTES = {
    "home_visit": "Visita domiciliaria de seguimiento.",
    "call": "Llamada para saber cómo se encuentra la persona usuaria.",
    "accompaniment": "Acompañamiento a la audiencia o diligencia.",
    "other": "Coordinación con la red local de atención.",
}
CANCEL_REASONS = (
    "La persona cambió de domicilio.",
    "La persona pidió posponer el seguimiento.",
    "Sin cobertura telefónica en la comunidad.",
    "Se reprogramó para otra fecha.",
)
CANCELLED_SHARE = 0.1
DONE_LATE = (0, 0, 0, 1, 2)  # days after the due date a follow-up is done
# A follow-up of the last two weeks not yet marked done: overdue.
RECENT_DAYS, RECENT_LEFT_PENDING = 14, 0.3
# An open case whose follow-ups are all done has its next one scheduled (sometimes overdue).
NEXT_FOLLOW_UP = 0.5
NEXT_OVERDUE, NEXT_TODAY = 0.18, 0.05

CASE_CLOCK_FIELDS = (
    "pk", "code", "service_id", "created_at", "updated_at", "status", "complaint_filed",
    "risk_level",
)  # fmt: skip
COMPLAINT_FIELDS = (
    "case_id", "service_id", "filed_at", "place", "place_name", "filed_by", "reference",
    "deadline", "settled_at", "set_aside_reason", "created_by_id", "created_at",
)  # fmt: skip
# A measure's values; its complaint's id is added after the case and service ids once known.
MEASURE_FIELDS = (
    "case_id", "service_id", "complaint_id", "measure_type", "court", "state", "decided_at",
    "notified_on", "executed_by", "ended_on", "notes", "created_by_id", "created_at",
    "updated_at",
)  # fmt: skip
FOLLOW_UP_FIELDS = (
    "case_id", "service_id", "kind", "due_on", "notes", "done_on", "cancel_reason",
    "closed_at", "closed_by_id", "created_by_id", "created_at",
)  # fmt: skip


@dataclass
class ClockCounts:
    complaints: int = 0
    measures: int = 0
    follow_ups: int = 0

    def __iadd__(self, other: ClockCounts) -> ClockCounts:
        self.complaints += other.complaints
        self.measures += other.measures
        self.follow_ups += other.follow_ups
        return self


@dataclass(frozen=True)
class ClockPlace:
    """What a service's complaints and measures are named after."""

    kind: str  # "SAR" or "CEM"
    district: str
    province: str


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _between(moment: datetime, low: datetime, high: datetime) -> datetime:
    return min(max(moment, low), high)


def seed_legal_clock(
    *, seed: int, services: Iterable[CareService], now: datetime | None = None
) -> ClockCounts:
    """Give the demo cases that have none their complaints, measures and follow-ups; then make
    sure every service with open demo cases has something overdue of the last days and
    something due today (`fresh_items`). Return what was added.

    The rows go in bulk (COPY on PostgreSQL), 20,000 cases at a time, with the effects the
    actions would have: a complaint settled at its earliest decision, or set aside with a
    reason; the case's protective measures once one is granted. Closed cases have nothing
    pending. Like the cases, these are generated data: no author, no audit entry.
    """
    from .clock import today as services_today

    services = [s for s in services if s.kind in (CareService.Kind.SAR, CareService.Kind.CEM)]
    now = _minute(now or timezone.now())
    counts = ClockCounts()
    if not services:
        return counts
    places = {
        service.pk: ClockPlace(
            "SAR" if service.kind == CareService.Kind.SAR else "CEM",
            service.district.name,
            service.district.province.name,
        )
        for service in CareService.objects.filter(pk__in=[s.pk for s in services]).select_related(
            "district__province"
        )
    }
    top = _demo_case_ids(services).aggregate(top=Max("pk"))["top"] or 0
    with transaction.atomic():
        with (
            ExitStack() as keys,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="clock-draw") as drawing,
        ):
            # Each chunk is drawn (pure Python, no query) in a thread while the chunk before is
            # stored: the database's work on it overlaps the drawing. Each case's draws come
            # from its own seed, so the rows are the same whatever the order.
            stored = None
            bulk, chunks, started = False, 0, perf_counter()
            spent = {"drawing": 0.0, "storing": 0.0}  # the waits for the thread, the stores

            def store(drawn: Future[ClockRows]) -> ClockCounts:
                spent["drawing"] -= perf_counter()
                rows = drawn.result()
                spent["drawing"] += perf_counter()
                spent["storing"] -= perf_counter()
                added = rows.store()
                spent["storing"] += perf_counter()
                return added

            for chunk in _clock_candidates(services, top):
                if stored is None:
                    # Many cases from the first without a clock to the last: a seed from empty
                    # (a rerun finds none, or the few added at the top).
                    bulk = top - chunk[0][0] >= BULK_ROWS
                    loaded = [Complaint, ProtectionMeasure, FollowUp]
                    keys.enter_context(_foreign_keys_checked_once(loaded, bulk=bulk))
                    # The cases that get measures are updated: their indexes are built after,
                    # but the one `fresh_items` reads them by, below. The clock's own tables
                    # keep theirs: the loop and the rollup's triggers read them, and their rows
                    # come in the order of the cases.
                    keys.enter_context(
                        _indexes_built_after(
                            [Case],
                            bulk=top - chunk[0][0] >= INDEX_REBUILD_ROWS,
                            keep=[SERVICE_LIST_INDEX],
                        )
                    )
                drawn = drawing.submit(_draw_chunk, chunk, seed=seed, now=now, places=places)
                if stored is not None:
                    counts += store(stored)
                stored, chunks = drawn, chunks + 1
            if stored is not None:
                counts += store(stored)
            if bulk:
                logger.info(
                    "Demo seed: the legal clock of %d chunks of cases in %.1f s: %.1f s storing "
                    "their rows, %.1f s waiting for them to be drawn.",
                    chunks,
                    perf_counter() - started,
                    spent["storing"],
                    spent["drawing"],
                )
        # After the loop: it reads each service's latest open cases by the index kept.
        counts += fresh_items(seed=seed, services=services, now=now, today=services_today(now))
    if connection.vendor == "postgresql" and counts.follow_ups >= 10_000:
        # Fresh statistics, so that the pending lists are planned for the tables' real size.
        with connection.cursor() as cursor:
            for model in (Complaint, ProtectionMeasure, FollowUp):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def _demo_case_ids(services: Sequence[CareService]) -> models.QuerySet[Case]:
    """The cases of `services` with no author: the demo's, and imported ones (told apart by
    their audit entries in `_clock_candidates`)."""
    return Case.objects.filter(service__in=list(services), created_by__isnull=True)


def _clock_candidates(services: Sequence[CareService], top: int) -> Iterator[list[tuple]]:
    """The demo cases of `services` with no complaint and no follow-up yet, up to id `top` (the
    last of `_demo_case_ids`), in id order, as lists of `CASE_CLOCK_FIELDS` of one range of
    CLOCK_CHUNK ids each.

    Each range reads its cases, and the few ids of that range with a complaint, a follow-up or
    an audit entry of their own (registered or imported), by their indexes: at ten million cases
    a single query with NOT EXISTS for each took seconds per chunk (hash anti-joins over whole
    tables), and the chunks are hundreds."""
    cases = _demo_case_ids(services)
    registered = AuditEntry.objects.filter(
        action__in=[AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT]
    )
    for low in range(0, top, CLOCK_CHUNK):
        in_range = {"pk__gt": low, "pk__lte": low + CLOCK_CHUNK}
        rows = list(cases.filter(**in_range).order_by("pk").values_list(*CASE_CLOCK_FIELDS))
        if not rows:
            continue
        linked = {"case_id__gt": low, "case_id__lte": low + CLOCK_CHUNK}
        taken = set()
        for model in (Complaint.objects, FollowUp.objects, registered):
            taken.update(model.filter(**linked).values_list("case_id", flat=True).distinct())
        if chunk := [row for row in rows if row[0] not in taken]:
            yield chunk


def _draw_chunk(
    chunk: list[tuple], *, seed: int, now: datetime, places: dict[int, ClockPlace]
) -> ClockRows:
    rows = ClockRows(seed=seed, now=now, places=places)
    for case in chunk:
        rows.draw(case)
    return rows


class ClockRows:
    """The complaints, measures and follow-ups of a chunk of demo cases, as rows to insert.

    Hot code (a million cases): the services' zone is read once and whole numbers are drawn
    from `random()` (`randint` costs twice as much).
    """

    def __init__(self, *, seed: int, now: datetime, places: dict[int, ClockPlace]):
        from . import clock

        self.seed = seed
        self.now = now
        self.zone = clock.service_zone()
        self.deadline = clock.deadline_for(now) - now
        self.today = self.day(now)
        self.places = places
        # (complaint row, [measure rows without the complaint's id])
        self.complaints: list[tuple[tuple, list[tuple]]] = []
        self.follow_ups: list[tuple] = []
        # Cases that now have a measure granted: the person has protective measures.
        self.protected: set[int] = set()

    def day(self, moment: datetime) -> date:
        """The services' date of `moment` (America/Lima)."""
        return moment.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def draw(self, case: tuple) -> None:
        pk, code, service_id, created, updated, status, filed, _risk = case
        rng = random.Random(f"{self.seed}:clock:{code}")
        r = rng.random
        place = self.places[service_id]
        closed = status == Case.Status.CLOSED
        # Nothing happens after a case was closed (its last change), nor after now.
        horizon = max(min(updated, self.now), created) if closed else self.now
        if filed and r() < COMPLAINT_RECORDED:
            # Filed with the police before coming to the service, or accompanied by it after.
            first = _minute(min(created + timedelta(hours=r() * 120 - 48), horizon))
            filings = [first]
            if r() < SECOND_COMPLAINT:
                second = _minute(first + timedelta(days=1 + r() * 39))
                if second <= horizon:
                    filings.append(second)
            for filed_at in filings:
                self.complaint(rng, case, place, filed_at, horizon, closed)
        self.follow_ups_of(rng, case, place, horizon, closed)

    def complaint(self, rng, case, place, filed_at, horizon, closed) -> None:
        pk, _code, service_id, created, _updated, _status, _filed, risk = case
        r = rng.random
        deadline = filed_at + self.deadline
        where = PLACE[place.kind](rng)
        name = ""
        if r() < 0.85:
            name = {
                "police": f"Comisaría PNP {place.district}",
                "prosecutor": f"Fiscalía Provincial de Familia de {place.province}",
                "family_court": f"Juzgado de Familia de {place.province}",
                "peace_court": f"Juzgado de Paz de {place.district}",
            }[where]
        reference = f"{100 + int(r() * 9900)}-{self.day(filed_at).year}" if r() < 0.75 else ""
        recorded = min(max(filed_at, created) + timedelta(minutes=5 + int(r() * 595)), horizon)
        outcome = OUTCOME.get(risk, OUTCOME[2])(rng)
        decided_at = None
        if outcome != "none":
            if r() < ON_TIME_SHARE.get(risk, 0.6):
                hours = 1.5 + r() * 22.5
            else:
                hours = 24 + min(rng.expovariate(1 / LATE_MEAN_HOURS), 45 * 24)
            decided_at = _minute(filed_at + timedelta(hours=hours))
            if decided_at > horizon:
                decided_at = None  # not decided yet: still waiting
        settled_at, reason = decided_at, ""
        if decided_at is None and (
            closed or (deadline < self.now - SET_ASIDE_AFTER and r() < SET_ASIDE_SHARE)
        ):
            limit = horizon if closed else self.now
            later = deadline if not closed else filed_at
            settled_at = _minute(min(later + timedelta(days=1 + r() * 29), limit))
            reason = SET_ASIDE_REASONS[int(r() * len(SET_ASIDE_REASONS))]
        count = 0 if decided_at is None and r() < 0.1 else MEASURES_PER_COMPLAINT(rng)
        kinds: list[str] = []
        while len(kinds) < count:
            kind = MEASURE_TYPE(rng)
            if kind not in kinds:
                kinds.append(kind)
        court = ""
        if decided_at is not None:
            court = (
                f"Juzgado de Familia de {place.province}"
                if r() < 0.8
                else f"Juzgado de Paz Letrado de {place.district}"
            )
        decided_on = self.day(decided_at) if decided_at else None
        measures = []
        for index, kind in enumerate(kinds):
            notified = ended = None
            if decided_at is None:
                state = "requested"
            elif outcome == "denied" or (index and r() < ONE_DENIED):
                state = "denied"
            else:
                state = _by_age(GRANTED_LATER, (self.now - decided_at).days)(rng)
                if state in ("lifted", "expired"):
                    ended = min(decided_on + timedelta(days=20 + int(r() * 381)), self.today)
                if r() < NOTIFIED_SHARE:
                    notified = min(decided_on + timedelta(days=int(r() * 4)), self.today)
                self.protected.add(pk)
            executor = EXECUTOR[kind] if state in GRANTED_STATES else ""
            updated = min(max(recorded, decided_at or recorded), self.now)
            measure = (kind, court, state, decided_at, notified, executor, ended, "", None)
            measures.append((pk, service_id, *measure, recorded, updated))
        filed_by = FILED_BY(rng)
        complaint = (filed_at, where, name, filed_by, reference, deadline, settled_at, reason)
        self.complaints.append(((pk, service_id, *complaint, None, recorded), measures))

    def follow_ups_of(self, rng, case, place, horizon, closed) -> None:
        pk, _code, service_id, created, *_rest = case
        r = rng.random
        kinds = FOLLOW_UP_KIND[place.kind]
        scheduled = _minute(min(created + timedelta(minutes=10 + int(r() * 231)), horizon))
        last_day = self.day(horizon)
        recent = self.today - timedelta(days=RECENT_DAYS)
        pending = False
        for _ in range(FOLLOW_UPS_PER_CASE(rng)):
            due = self.day(scheduled) + timedelta(days=3 + int(r() * 19))
            if closed:
                # A closed case's follow-ups were all done or cancelled before it closed.
                last = due >= last_day
                due = min(due, last_day)
                scheduled = self.follow_up(rng, pk, service_id, kinds, due, scheduled, horizon)
                if last:
                    break
                continue
            if due >= self.today or (due >= recent and r() < RECENT_LEFT_PENDING):
                self.follow_up(rng, pk, service_id, kinds, due, scheduled, None)
                pending = True
                break
            scheduled = self.follow_up(rng, pk, service_id, kinds, due, scheduled, horizon)
        if not closed and not pending and r() < NEXT_FOLLOW_UP:
            draw = r()
            if draw < NEXT_OVERDUE:
                offset = -1 - int(r() * 12)
            elif draw < NEXT_OVERDUE + NEXT_TODAY:
                offset = 0
            else:
                offset = 1 + int(r() * 30)
            due = max(self.today + timedelta(days=offset), self.day(scheduled))
            start = self.midnight(due) - timedelta(days=3 + r() * 17)
            start = _minute(_between(start, scheduled, self.now))
            self.follow_up(rng, pk, service_id, kinds, due, start, None)

    def follow_up(self, rng, pk, service_id, kinds, due, scheduled, settle_by) -> datetime:
        """Add a follow-up due on `due`; done or cancelled by `settle_by` unless that is None
        (pending). Return when it was settled (the next one is scheduled then)."""
        r = rng.random
        kind = kinds(rng)
        notes = FOLLOW_UP_NOTES[kind] if r() < 0.4 else ""
        done_on = closed_at = None
        reason = ""
        if settle_by is not None:
            if r() < CANCELLED_SHARE:
                reason = CANCEL_REASONS[int(r() * len(CANCEL_REASONS))]
                moment = self.midnight(due) + timedelta(hours=r() * 60 - 48)
            else:
                done_on = due + timedelta(days=DONE_LATE[int(r() * len(DONE_LATE))])
                done_on = max(min(done_on, self.day(settle_by)), self.day(scheduled))
                moment = self.midnight(done_on) + timedelta(hours=9 + r() * 9)
            closed_at = _minute(_between(moment, scheduled, settle_by))
        self.follow_ups.append(
            (pk, service_id, kind, due, notes, done_on, reason, closed_at, None, None, scheduled)
        )
        return closed_at or scheduled

    def store(self) -> ClockCounts:
        """Insert the rows; a complaint's measures once its id is known."""
        counts = ClockCounts(complaints=len(self.complaints), follow_ups=len(self.follow_ups))
        if self.complaints:
            case_ids = [row[0] for row, _measures in self.complaints]
            before = Complaint.objects.aggregate(last=Max("pk"))["last"] or 0
            _insert(iter([row for row, _measures in self.complaints]), Complaint, COMPLAINT_FIELDS)
            # The ids follow the order of the rows (one COPY or INSERT in one transaction).
            stored = list(
                Complaint.objects.filter(
                    pk__gt=before, case_id__gte=case_ids[0], case_id__lte=case_ids[-1]
                )
                .order_by("pk")
                .values_list("pk", "case_id")
            )
            if [case for _pk, case in stored] != case_ids:
                raise RuntimeError("Demo complaints were stored out of order: run seed_demo again.")
            measures = [
                (*measure[:2], complaint, *measure[2:])
                for (complaint, _case), (_row, rows) in zip(stored, self.complaints, strict=True)
                for measure in rows
            ]
            _insert(iter(measures), ProtectionMeasure, MEASURE_FIELDS)
            counts.measures = len(measures)
        if self.follow_ups:
            _insert(iter(self.follow_ups), FollowUp, FOLLOW_UP_FIELDS)
        protected = sorted(self.protected)
        # One statement per chunk on PostgreSQL (a chunk's cases are far fewer than its limit
        # of parameters); SQLite takes fewer parameters.
        batch = max(len(protected), 1) if connection.vendor == "postgresql" else 500
        for start in range(0, len(protected), batch):
            Case.objects.filter(pk__in=protected[start : start + batch]).exclude(
                protective_measures=True
            ).update(protective_measures=True)
        return counts


def fresh_items(
    *, seed: int, services: Sequence[CareService], now: datetime, today: date
) -> ClockCounts:
    """Make sure every service with open demo cases has, pending, a follow-up due today, one
    overdue since the last week and a complaint overdue since the last week: "Mis pendientes"
    and the reports are never empty in the demo, whatever day it is. Each is added only if
    missing (a rerun the same day adds none) and drawn from the seed, the service and the day.

    What each service already has is read in three queries for all of them, and what is added
    written in a few statements: the national network has five hundred services.
    """
    from . import clock

    counts = ClockCounts()
    week_ago = today - timedelta(days=7)
    pending = FollowUp.objects.filter(service__in=services, closed_at__isnull=True)
    due_today = set(pending.filter(due_on=today).values_list("service_id", flat=True))
    due_this_week = set(
        pending.filter(due_on__gte=week_ago, due_on__lt=today).values_list("service_id", flat=True)
    )
    overdue_complaint = set(
        Complaint.objects.filter(
            service__in=services,
            settled_at__isnull=True,
            deadline__gte=now - timedelta(days=7),
            deadline__lt=now,
        ).values_list("service_id", flat=True)
    )
    rows = []
    complaints: list[tuple[Complaint, list[str]]] = []
    for service in services:
        if service.pk in due_today & due_this_week & overdue_complaint:
            continue  # nothing missing
        open_cases = list(
            demo_cases([service])
            .exclude(status=Case.Status.CLOSED)
            .order_by("-intake_date", "code")
            .values_list("pk", "created_at", "complaint_filed")[:50]
        )
        if not open_cases:
            continue
        rng = random.Random(f"{seed}:clock:{service.code}:{today.isoformat()}")
        kinds = FOLLOW_UP_KIND["SAR" if service.kind == CareService.Kind.SAR else "CEM"]
        wanted = []
        if service.pk not in due_today:
            wanted.append(today)
        if service.pk not in due_this_week:
            wanted.append(today - timedelta(days=rng.randint(1, 6)))
        for due in wanted:
            # A case that existed when the follow-up was scheduled, a few days before it.
            fitting = [
                (pk, created) for pk, created, _filed in open_cases if clock.today(created) <= due
            ]
            if not fitting:
                continue
            pk, created = rng.choice(fitting)
            start = clock.start_of_day(due) - timedelta(days=rng.uniform(2, 10))
            scheduled = _minute(_between(start, created, now))
            kind = kinds(rng)
            notes = FOLLOW_UP_NOTES[kind]
            rows.append((pk, service.pk, kind, due, notes, None, "", None, None, None, scheduled))
        if service.pk not in overdue_complaint:
            # Preferably a case whose record says a complaint was filed (whose flag stays).
            filed = [case for case in open_cases if case[2]] or open_cases
            pk, _created, _filed = rng.choice(filed)
            filed_at = _minute(now - timedelta(hours=24 + rng.uniform(1, 60)))
            complaint = Complaint(
                case_id=pk,
                service=service,
                filed_at=filed_at,
                place="police",
                filed_by=FILED_BY(rng),
                deadline=clock.deadline_for(filed_at),
            )
            complaints.append((complaint, sorted({MEASURE_TYPE(rng) for _ in range(2)})))
    if rows:
        _insert(iter(rows), FollowUp, FOLLOW_UP_FIELDS)
        counts.follow_ups += len(rows)
    if complaints:
        # Both backends give the new rows their ids (RETURNING), so the measures can follow.
        Complaint.objects.bulk_create([complaint for complaint, _kinds in complaints])
        ProtectionMeasure.objects.bulk_create(
            ProtectionMeasure(
                case_id=complaint.case_id,
                service=complaint.service,
                complaint=complaint,
                measure_type=kind,
            )
            for complaint, kinds_asked in complaints
            for kind in kinds_asked
        )
        Case.objects.filter(pk__in=[c.case_id for c, _kinds in complaints]).exclude(
            complaint_filed=True
        ).update(complaint_filed=True)
        counts.complaints += len(complaints)
        counts.measures += sum(len(kinds_asked) for _complaint, kinds_asked in complaints)
    return counts
