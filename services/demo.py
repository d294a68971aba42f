"""A realistic, deterministic demo network: services with coverage and one user per role."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import CareService, Community, District, Region, StaffAssignment

# Regions with many rural districts; the first is the home of the demo caseworker and managers.
DEMO_REGIONS = ["08", "21", "05", "10"]
SARS_PER_REGION = 3
CAI_DISTRICT = "150101"

COMMUNITY_NAMES = [
    "Ccollpa",
    "Huayllay",
    "Pampamarca",
    "Chillihuani",
    "Q'eros",
    "Ccatca",
    "Sallac",
    "Patacancha",
    "Willoc",
    "Umasbamba",
    "Chumpe",
    "Ccochahuasi",
    "Kachin",
    "Totora",
    "Añaypampa",
    "Llullucha",
    "Quelcanca",
    "Pucará",
    "Phinaya",
    "Jajahuana",
    "Chectuyoc",
    "Yanaoca",
    "Ccapacmarca",
    "Huaylla Grande",
    "Kcauri",
    "Sullupuquio",
    "Tintay",
    "Qochapata",
    "Rumira Sondormayo",
    "Pumamarca",
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    description: str


DEMO_USERS = {
    "caseworker": DemoUser("caseworker", "Rosa", "Quispe Mamani", "caseworker of one SAR"),
    "manager": DemoUser("manager", "Elena", "Huamán Torres", "manager of one region"),
    "shelter": DemoUser("shelter", "Carmen", "Condori Apaza", "shelter staff of one region"),
    "national": DemoUser("national", "Lucía", "Ramírez Soto", "national manager"),
    "admin": DemoUser("admin", "Administración", "Warmi Ñan", "administrator (Django admin)"),
}


def _opening_date(rng: random.Random) -> date:
    return date(2012, 1, 1) + timedelta(days=rng.randrange(0, 12 * 365))


def _communities_for(district: District, rng: random.Random, count: int) -> list[Community]:
    communities = []
    for name in rng.sample(COMMUNITY_NAMES, count):
        kind = rng.choice(Community.Kind.values)
        # A suffix per name keeps codes unique within the district, as INEI's are.
        suffix = COMMUNITY_NAMES.index(name) + 1
        community, _ = Community.objects.get_or_create(
            district=district,
            name=name,
            defaults={"code": f"{district.code}{suffix:04d}", "kind": kind},
        )
        communities.append(community)
    return communities


def _service(code: str, **fields) -> CareService:
    service, _ = CareService.objects.update_or_create(code=code, defaults=fields)
    return service


@transaction.atomic
def seed_network(*, seed: int) -> list[CareService]:
    """Create (or bring back to the same state) the demo services of the demo regions."""
    rng = random.Random(seed)
    services = []
    for region_code in DEMO_REGIONS:
        districts = list(District.objects.filter(province__region_id=region_code).order_by("code"))
        capital = districts[0]
        rural = [d for d in districts if not d.code.endswith("0101")]
        services.append(
            _service(
                f"CEM-{capital.code}",
                kind=CareService.Kind.CEM,
                name=f"CEM {capital.name}",
                district=capital,
                opened_on=_opening_date(rng),
                closed_on=None,
                open_24h=True,
            )
        )
        for seat in rng.sample(rural, SARS_PER_REGION):
            sar = _service(
                f"SAR-{seat.code}",
                kind=CareService.Kind.SAR,
                name=f"SAR {seat.name}",
                district=seat,
                opened_on=_opening_date(rng),
                closed_on=None,
                open_24h=False,
            )
            neighbours = [d for d in rural if d.province_id == seat.province_id and d != seat]
            covered = [seat, *rng.sample(neighbours, min(2, len(neighbours)))]
            sar.covered_districts.set(covered)
            sar.covered_communities.set(
                [c for d in covered for c in _communities_for(d, rng, rng.randint(2, 4))]
            )
            services.append(sar)
    cai_district = District.objects.get(code=CAI_DISTRICT)
    services.append(
        _service(
            f"CAI-{cai_district.code}",
            kind=CareService.Kind.CAI,
            name=f"CAI {cai_district.name}",
            district=cai_district,
            opened_on=_opening_date(rng),
            closed_on=None,
            open_24h=False,
        )
    )
    # One SAR that closed, so that "active in a period" has something to leave out.
    closed = services[2]
    closed.closed_on = max(closed.opened_on, date(2023, 6, 30))
    closed.save(update_fields=["closed_on"])
    return services


@transaction.atomic
def seed_users(*, password: str, home_sar: CareService) -> dict[str, DemoUser]:
    """Create the demo logins of DESIGN.md, one per role, all with `password`."""
    User = get_user_model()
    home_region = Region.objects.get(code=home_sar.district.province.region_id)
    for key, demo in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(username=demo.username)
        user.first_name, user.last_name = demo.first_name, demo.last_name
        user.is_staff = user.is_superuser = key == "admin"
        user.is_active = True
        user.set_password(password)
        user.save()
    role = StaffAssignment.Role
    wanted = {
        "caseworker": {"role": role.CASEWORKER, "service": home_sar},
        "manager": {"role": role.MANAGER, "region": home_region},
        "shelter": {"role": role.SHELTER_STAFF, "region": home_region},
        "national": {"role": role.MANAGER, "region": None},
    }
    for username, fields in wanted.items():
        StaffAssignment.objects.get_or_create(user=User.objects.get(username=username), **fields)
    return DEMO_USERS


# The national network (`seed_demo --national`) ---------------------------------------------
# The classic demo above stays as it is; the national network adds, around it, the services of
# the whole country in the proportions of the real one: a CEM in every province capital and
# about 230 more in police stations ("CEM Comisaría ..."), 57 or more SARs in rural districts
# with the communities of every district they cover, a dozen CAIs, and the staff of all of
# them. Everything is drawn from the seed and the geography alone (`plan_national` is pure), so
# the same seed gives the same network, and a rerun finds every code and adds nothing. Rows go
# in with bulk_create, a few statements per table.

NATIONAL_CEMS = 430
NATIONAL_SARS = 60  # with the classic 12; one of them closed
# Regions whose rural communities are mostly comunidades nativas (the Amazon).
AMAZON_REGIONS = {"16", "17", "25"}
# Metropolitan districts, where the police-station CEMs gather (Lima, Callao).
METROPOLITAN_PROVINCES = {"1501", "0701"}
# The CAIs' regions (with the classic one of Lima, twelve): the capital district of each.
CAI_REGIONS = ["04", "06", "08", "12", "13", "14", "16", "20", "21", "22", "25"]
# Communities of each district a SAR covers (their codes continue after the classic ones).
COMMUNITIES_PER_DISTRICT = (6, 18)
COMMUNITY_FIRST_SUFFIX = 201
# Staff: caseworkers per service kind (low, high), managers per region, national managers.
CASEWORKERS = {"CEM": (3, 6), "CEM24": (5, 8), "SAR": (2, 3), "CAI": (2, 4)}
REGIONAL_MANAGERS = (1, 2)
SHELTER_STAFF_PER_SHELTER = (3, 5)
NATIONAL_MANAGERS = 4

ANDEAN_STEMS = [
    "Accocunca", "Ajopampa", "Anccapa", "Antapampa", "Atuncolla", "Ayahuasi", "Cachimayo",
    "Callqui", "Ccachupata", "Ccarhuacc", "Ccasacancha", "Ccochapampa", "Ccolcca",
    "Ccoyllor", "Chacapata", "Chaupimayo", "Chicón", "Chinchaypucyo", "Choquecota",
    "Chullcupampa", "Chuñuhuire", "Condorsencca", "Cotahuasi", "Cusipata", "Hatun Ayllu",
    "Huacrapuquio", "Huallhua", "Huancaspata", "Huanoquite", "Huaraccopata", "Huaroccondo",
    "Huayllapampa", "Illapata", "Inquilpata", "Jatunpampa", "Kelluyo", "Kunturwasi",
    "Lacco", "Lahualahua", "Limbani", "Llacctapata", "Llamachayoc", "Lucre", "Mamara",
    "Mollebamba", "Muñapata", "Ñahuinpuquio", "Occobamba", "Ollantay", "Pachachaca",
    "Pallccapampa", "Parccopata", "Patabamba", "Paucarcolla", "Pichccahuasi", "Pillpinto",
    "Poccoray", "Pomacanchi", "Puca Puca", "Pumaorcco", "Quehuar", "Qquehuar", "Quillahuata",
    "Rayanniyoc", "Rumicruz", "Saccllaya", "Sallahuasi", "Sancaypata", "Sayllapata",
    "Soncco", "Suyckutambo", "Tambobamba", "Tincoc", "Tucsa", "Uchuccarcco", "Urpay",
    "Vilcabamba", "Wayrapata", "Yanaorcco", "Yauriccasa",
]  # fmt: skip
AMAZON_STEMS = [
    "Alto Sheshea", "Boca Manu", "Bufeo Pozo", "Cantagallo", "Chicosa", "Diamante",
    "Huacamayo", "Inkare", "Koribeni", "Matoriato", "Mayapo", "Nueva Alianza", "Nuevo Edén",
    "Pitsiquia", "Puerto Ocopa", "Quimaropitari", "Saniveni", "Shahuaya", "Shimpiyacu",
    "Tsoroja", "Yamino", "Yarina", "Yomybato", "Shipetiari", "Palotoa", "Tipishca",
    "Santa Teresita", "San Jacinto", "Caimito", "Callería", "Paoyhan", "Roya",
]  # fmt: skip
NAME_PATTERNS = [
    "{}", "{} Alto", "{} Bajo", "{} Grande", "{} Chico", "San José de {}", "Santa Rosa de {}",
    "San Juan de {}", "Virgen de {}",
]  # fmt: skip
FIRST_NAMES = [
    "Rosa", "Elena", "Carmen", "Lucía", "María", "Juana", "Gladys", "Maribel", "Sonia", "Nélida",
    "Yeni", "Flor", "Ruth", "Milagros", "Patricia", "Karina", "Luis", "Jorge", "Wilber", "Edwin",
]  # fmt: skip
LAST_NAMES = [
    "Quispe", "Mamani", "Huamán", "Condori", "Apaza", "Choque", "Flores", "Rojas", "Torres",
    "Vargas", "Ccori", "Huillca", "Ramos", "Cárdenas", "Salazar", "Paucar", "Tito", "Yupanqui",
]  # fmt: skip


@dataclass(frozen=True)
class PlannedService:
    code: str
    kind: str
    name: str
    district: str
    opened_on: date
    open_24h: bool
    covered: tuple[str, ...] = ()  # a SAR's districts, its seat first


@dataclass(frozen=True)
class PlannedCommunity:
    code: str
    district: str
    name: str
    kind: str


@dataclass
class NationalPlan:
    services: list[PlannedService]
    communities: list[PlannedCommunity]


def _weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    """Draw `k` distinct keys, each with a chance proportional to its weight (Efraimidis-
    Spirakis keys, in the keys' sorted order so that the draw depends on the seed alone)."""
    keyed = sorted(((rng.random() ** (1 / w), key) for key, w in sorted(weights.items())))
    return [key for _score, key in keyed[-k:][::-1]]


def plan_national(
    *, seed: int, districts: list[tuple[str, str]], classic: list[CareService]
) -> NationalPlan:
    """Plan the national network around the classic one: pure, from the seed, the districts
    ((ubigeo, name), every district of Peru) and the classic services (whose districts no
    national SAR takes again)."""
    rng = random.Random(f"{seed}:national")
    names = dict(districts)
    codes = sorted(names)
    provinces: dict[str, list[str]] = {}
    for code in codes:
        provinces.setdefault(code[:4], []).append(code)
    capitals = {f"{province}01" for province in provinces if f"{province}01" in names}
    classic_codes = {s.code for s in classic}
    classic_sar_districts = {
        d.code for s in classic if s.kind == CareService.Kind.SAR for d in s.covered_districts.all()
    }
    taken = {s.district_id for s in classic} | classic_sar_districts
    services: list[PlannedService] = []

    def opened(first: int, last: int) -> date:
        return date(first, 1, 1) + timedelta(days=rng.randrange((last - first + 1) * 365))

    # A CEM in every province capital (the region capitals open all day and night).
    for code in sorted(capitals):
        if f"CEM-{code}" in classic_codes:
            continue
        region_capital = code.endswith("0101")
        services.append(
            PlannedService(
                f"CEM-{code}",
                CareService.Kind.CEM,
                f"CEM {names[code]}",
                code,
                opened(1999, 2015),
                region_capital or rng.random() < 0.2,
            )
        )
    # The rest in police stations ("CEM Comisaría"), open all day, mostly in cities.
    cems = len(services) + sum(1 for s in classic if s.kind == CareService.Kind.CEM)
    weights = {}
    for code in codes:
        if code[:4] in METROPOLITAN_PROVINCES:
            weights[code] = 6.0
        elif code in capitals:
            weights[code] = 4.0
        elif code not in taken:
            weights[code] = 0.3
    for code in sorted(_weighted_sample(rng, weights, max(NATIONAL_CEMS - cems, 0))):
        services.append(
            PlannedService(
                f"CEMC-{code}",
                CareService.Kind.CEM,
                f"CEM Comisaría {names[code]}",
                code,
                opened(2018, 2024),
                True,
            )
        )
    # SARs in rural districts no other SAR covers, each with neighbours of its province.
    cem_districts = {s.district for s in services}
    rural = [
        code for code in codes if code not in capitals and code[:4] not in METROPOLITAN_PROVINCES
    ]
    free = set(rural) - taken - cem_districts
    sars = sum(1 for s in classic if s.kind == CareService.Kind.SAR)
    seats = [code for code in rural if code in free]
    rng.shuffle(seats)
    for seat in seats:
        if sars >= NATIONAL_SARS:
            break
        if seat not in free:
            continue
        neighbours = [code for code in provinces[seat[:4]] if code in free and code != seat]
        if len(neighbours) < 2:
            continue
        covered = (seat, *sorted(rng.sample(neighbours, min(len(neighbours), rng.randint(2, 5)))))
        free -= set(covered)
        services.append(
            PlannedService(
                f"SAR-{seat}",
                CareService.Kind.SAR,
                f"SAR {names[seat]}",
                seat,
                opened(2016, 2024),
                False,
                covered,
            )
        )
        sars += 1
    # The CAIs, in the capitals of their regions.
    for region in CAI_REGIONS:
        code = f"{region}0101"
        if code in names and f"CAI-{code}" not in classic_codes:
            services.append(
                PlannedService(
                    f"CAI-{code}",
                    CareService.Kind.CAI,
                    f"CAI {names[code]}",
                    code,
                    opened(2010, 2020),
                    False,
                )
            )
    # Communities for every district a SAR covers, the classic SARs' too.
    sar_districts = sorted({code for s in services for code in s.covered} | classic_sar_districts)
    communities = []
    for district in sar_districts:
        district_rng = random.Random(f"{seed}:communities:{district}")
        amazon = district[:2] in AMAZON_REGIONS
        stems = AMAZON_STEMS if amazon else ANDEAN_STEMS
        wanted = district_rng.randint(*COMMUNITIES_PER_DISTRICT)
        chosen: list[str] = []
        seen = {name.lower() for name in COMMUNITY_NAMES}  # the classic ones may be there
        while len(chosen) < wanted:
            name = district_rng.choice(NAME_PATTERNS).format(district_rng.choice(stems))
            if name.lower() not in seen:
                seen.add(name.lower())
                chosen.append(name)
        for i, name in enumerate(chosen):
            if amazon:
                kind = (
                    Community.Kind.NATIVA
                    if district_rng.random() < 0.7
                    else Community.Kind.CENTRO_POBLADO
                )
            else:
                kind = (
                    Community.Kind.CAMPESINA
                    if district_rng.random() < 0.65
                    else Community.Kind.CENTRO_POBLADO
                )
            communities.append(
                PlannedCommunity(
                    f"{district}{COMMUNITY_FIRST_SUFFIX + i:04d}", district, name, str(kind)
                )
            )
    return NationalPlan(services, communities)


@dataclass
class NationalCounts:
    services: int = 0
    communities: int = 0
    users: int = 0
    assignments: int = 0


@transaction.atomic
def seed_national(
    *, seed: int, classic: list[CareService]
) -> tuple[list[CareService], NationalCounts]:
    """Create what is missing of the national network around the classic one; return every
    service of the network (the classic ones first) and what was added."""
    counts = NationalCounts()
    districts = list(District.objects.order_by("code").values_list("code", "name"))
    classic = list(
        CareService.objects.filter(pk__in=[s.pk for s in classic])
        .prefetch_related("covered_districts")
        .order_by("code")
    )
    plan = plan_national(seed=seed, districts=districts, classic=classic)

    stored = set(
        Community.objects.filter(code__in=[c.code for c in plan.communities]).values_list(
            "code", flat=True
        )
    )
    new = [
        Community(code=c.code, district_id=c.district, name=c.name, kind=c.kind)
        for c in plan.communities
        if c.code not in stored
    ]
    Community.objects.bulk_create(new, batch_size=1000)
    counts.communities = len(new)

    existing = set(
        CareService.objects.filter(code__in=[s.code for s in plan.services]).values_list(
            "code", flat=True
        )
    )
    missing = [s for s in plan.services if s.code not in existing]
    CareService.objects.bulk_create(
        [
            CareService(
                code=s.code,
                kind=s.kind,
                name=s.name,
                district_id=s.district,
                opened_on=s.opened_on,
                open_24h=s.open_24h,
            )
            for s in missing
        ],
        batch_size=500,
    )
    counts.services = len(missing)
    sars = [s for s in missing if s.covered]
    if sars:
        ids = dict(
            CareService.objects.filter(code__in=[s.code for s in sars]).values_list("code", "pk")
        )
        community_ids: dict[str, list[int]] = {}
        for pk, district in Community.objects.filter(
            code__in=[c.code for c in plan.communities]
        ).values_list("pk", "district_id"):
            community_ids.setdefault(district, []).append(pk)
        DistrictLink = CareService.covered_districts.through
        CommunityLink = CareService.covered_communities.through
        DistrictLink.objects.bulk_create(
            [
                DistrictLink(careservice_id=ids[s.code], district_id=d)
                for s in sars
                for d in s.covered
            ],
            batch_size=1000,
        )
        CommunityLink.objects.bulk_create(
            [
                CommunityLink(careservice_id=ids[s.code], community_id=c)
                for s in sars
                for d in s.covered
                for c in sorted(community_ids.get(d, []))
            ],
            batch_size=1000,
        )
    services = classic + list(
        CareService.objects.filter(code__in=[s.code for s in plan.services]).order_by("code")
    )
    return services, counts


def _staff_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"


@transaction.atomic
def seed_national_staff(
    *, seed: int, password: str, services: list[CareService], shelter_regions: list[str]
) -> NationalCounts:
    """Give the national network its staff: caseworkers for every service, one or two managers
    per region, shelter staff in every region with shelters (by its number of shelters) and a
    few national managers; create only the missing ones. The password is hashed once for all
    (hashing it thousands of times would take minutes)."""
    rng = random.Random(f"{seed}:staff")
    User = get_user_model()
    role = StaffAssignment.Role
    wanted: list[tuple[str, str, str, dict]] = []  # (username, first, last, assignment)
    for service in sorted(services, key=lambda s: s.code):
        kind = "CEM24" if service.open_24h else str(service.kind)
        for n in range(1, rng.randint(*CASEWORKERS[kind]) + 1):
            first, last = _staff_name(rng)
            assignment = {"role": role.CASEWORKER, "service_id": service.pk}
            wanted.append((f"{service.code.lower()}.{n}", first, last, assignment))
    for region in Region.objects.order_by("code").values_list("code", flat=True):
        for n in range(1, rng.randint(*REGIONAL_MANAGERS) + 1):
            first, last = _staff_name(rng)
            assignment = {"role": role.MANAGER, "region_id": region}
            wanted.append((f"manager.{region}.{n}", first, last, assignment))
    for region in sorted(set(shelter_regions)):
        shelters = shelter_regions.count(region)
        for n in range(1, shelters * rng.randint(*SHELTER_STAFF_PER_SHELTER) + 1):
            first, last = _staff_name(rng)
            assignment = {"role": role.SHELTER_STAFF, "region_id": region}
            wanted.append((f"shelter.{region}.{n}", first, last, assignment))
    for n in range(1, NATIONAL_MANAGERS + 1):
        first, last = _staff_name(rng)
        wanted.append((f"national.{n}", first, last, {"role": role.MANAGER, "region_id": None}))

    existing = set(
        User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", flat=True)
    )
    hashed = make_password(password)
    new = [
        User(username=username, first_name=first, last_name=last, password=hashed)
        for username, first, last, _assignment in wanted
        if username not in existing
    ]
    User.objects.bulk_create(new, batch_size=1000)
    ids = dict(
        User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", "pk")
    )
    assigned = set(
        StaffAssignment.objects.filter(user_id__in=ids.values()).values_list("user_id", flat=True)
    )
    assignments = [
        StaffAssignment(user_id=ids[username], **assignment)
        for username, _first, _last, assignment in wanted
        if ids[username] not in assigned
    ]
    StaffAssignment.objects.bulk_create(assignments, batch_size=1000)
    return NationalCounts(users=len(new), assignments=len(assignments))
