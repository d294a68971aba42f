"""A realistic, deterministic demo network: services with coverage and one user per role."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
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
