"""Demo shelters with residents and past stays, deterministic and idempotent (for seed_demo).

Demo people carry an external id starting with `DEMO-`: a rerun finds them and adds nothing.
Stays are written in bulk like imported history; the open ones never exceed a capacity and
each demo person has a single stay, so the database constraints hold.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from services.models import District

from .models import Person, Sex, Shelter, Stay

DEMO_PREFIX = "DEMO-"
HISTORY_DAYS = 3 * 365
FIRST_NAMES = ["Rosa", "Juana", "Elena", "Lucía", "Carmen", "Yeni", "Maribel", "Nélida", "Sonia"]
CHILD_NAMES = {Sex.FEMALE: ["Luz", "Flor", "Sayri", "Killa", "Nayra"], Sex.MALE: ["Juan", "Inti"]}
SURNAMES = ["Quispe", "Mamani", "Huamán", "Condori", "Ccori", "Apaza", "Choque", "Huillca"]
DISCHARGE_REASONS = [
    Stay.DischargeReason.PLAN_COMPLETED,
    Stay.DischargeReason.FAMILY,
    Stay.DischargeReason.INDEPENDENT,
    Stay.DischargeReason.VOLUNTARY,
]


@transaction.atomic
def seed_shelters(*, seed: int, regions: Iterable[str]) -> list[Shelter]:
    """Create (or bring back to the same state) one shelter in the capital district of each
    region, `HRT-<ubigeo>`."""
    rng = random.Random(seed)
    shelters = []
    for region in regions:
        capital = District.objects.filter(province__region_id=region).order_by("code").first()
        if capital is None:
            continue
        shelter, _ = Shelter.objects.update_or_create(
            code=f"HRT-{capital.code}",
            defaults={
                "name": f"Hogar de Refugio Temporal {capital.name}",
                "district": capital,
                "address": f"Jr. {rng.choice(SURNAMES)} {rng.randint(100, 999)}, {capital.name}",
                "capacity": rng.choice([12, 16, 20, 24]),
                "opened_on": date(2014, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365)),
                "closed_on": None,
            },
        )
        shelters.append(shelter)
    return shelters


@transaction.atomic
def seed_stays(*, seed: int, shelters: Iterable[Shelter], today: date | None = None) -> int:
    """Give each demo shelter past families and current residents (about two thirds full);
    return the number of stays added (none on a rerun)."""
    today = today or timezone.localdate()
    added = 0
    for shelter in shelters:
        prefix = f"{DEMO_PREFIX}{shelter.code}-"
        if Person.objects.filter(external_id__startswith=prefix).exists():
            continue
        rng = random.Random(f"{seed}-{shelter.code}")
        added += _seed_shelter(shelter, prefix, rng, today)
    return added


def _seed_shelter(shelter: Shelter, prefix: str, rng: random.Random, today: date) -> int:
    start = max(shelter.opened_on, today - timedelta(days=HISTORY_DAYS))
    families: list[tuple[date, date | None, int]] = []
    # Past families, each gone by today.
    for _ in range(rng.randint(15, 30)):
        admitted = start + timedelta(days=rng.randrange(0, max((today - start).days - 60, 1)))
        gone = min(admitted + timedelta(days=rng.randint(7, 60)), today)
        families.append((admitted, gone, 0))
    # Current residents: families until about two thirds of the beds are taken.
    beds = (2 * shelter.capacity) // 3
    while beds > 0:
        size = min(beds, 1 + rng.choice([0, 1, 1, 2, 3]))
        admitted = today - timedelta(days=rng.randint(1, 90))
        families.append((max(admitted, shelter.opened_on), None, size - 1))
        beds -= size

    people, stays = [], []
    for number, (admitted, discharged, children) in enumerate(families):
        surname = rng.choice(SURNAMES)
        group = uuid.uuid4()
        reason = rng.choice(DISCHARGE_REASONS) if discharged else ""
        planned = admitted + timedelta(days=rng.choice([30, 45, 60, 90]))
        members = [(Stay.Role.WOMAN, Sex.FEMALE, rng.randint(18, 52), rng.choice(FIRST_NAMES))]
        for _ in range(children if discharged is None else rng.randint(0, 3)):
            sex = rng.choice([Sex.FEMALE, Sex.FEMALE, Sex.MALE])
            members.append((Stay.Role.CHILD, sex, rng.randint(0, 16), rng.choice(CHILD_NAMES[sex])))
        for index, (role, sex, age, first) in enumerate(members):
            person = Person(
                full_name=f"{first} {surname} {rng.choice(SURNAMES)}",
                sex=sex,
                external_id=f"{prefix}{number:04d}-{index}",
            )
            people.append(person)
            stays.append(
                Stay(
                    shelter=shelter,
                    person=person,
                    role=role,
                    family_group=group,
                    age_at_admission=age,
                    admitted_on=admitted,
                    planned_discharge_on=planned,
                    discharged_on=discharged,
                    discharge_reason=reason,
                )
            )
    Person.objects.bulk_create(people)
    for stay in stays:
        stay.person_id = stay.person.pk
    Stay.objects.bulk_create(stays)
    return len(stays)


# The national network (`seed_demo --national`): about 25 shelters in 19 regions, the classic
# four among them. One in the capital district of each region listed, a second one in another
# province capital of the largest regions.
NATIONAL_SHELTER_REGIONS = [
    "01", "02", "03", "04", "05", "06", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "20", "21", "22", "25",
]  # fmt: skip
SECOND_SHELTER_REGIONS = ["04", "08", "12", "13", "15", "21"]


@transaction.atomic
def seed_national_shelters(*, seed: int) -> list[Shelter]:
    """Create the national network's shelters that are missing (never touching one that
    exists, such as the classic four); return them all, by code."""
    rng = random.Random(f"{seed}:national-shelters")
    districts = dict(District.objects.values_list("code", "name"))
    wanted = [f"{region}0101" for region in NATIONAL_SHELTER_REGIONS]
    for region in SECOND_SHELTER_REGIONS:
        capitals = sorted(
            code for code in districts if code.startswith(region) and code.endswith("01")
        )
        wanted.append(rng.choice([code for code in capitals if not code.endswith("0101")]))
    planned = []
    for code in wanted:
        name = districts[code]
        planned.append(
            Shelter(
                code=f"HRT-{code}",
                name=f"Hogar de Refugio Temporal {name}",
                district_id=code,
                address=f"Jr. {rng.choice(SURNAMES)} {rng.randint(100, 999)}, {name}",
                capacity=rng.choice([12, 16, 20, 24, 30]),
                opened_on=date(2008, 1, 1) + timedelta(days=rng.randrange(0, 14 * 365)),
            )
        )
    codes = [shelter.code for shelter in planned]
    existing = set(Shelter.objects.filter(code__in=codes).values_list("code", flat=True))
    Shelter.objects.bulk_create([s for s in planned if s.code not in existing])
    return list(Shelter.objects.filter(code__in=codes).order_by("code"))
