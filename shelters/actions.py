"""Writes with a rule on shelters: admit a family, discharge, transfer, edit a shelter.

Each runs in one transaction and writes its log entries inside it. Capacity is checked with the
shelter row locked (`select_for_update`) and the open stays counted inside that lock, so two
admissions at the same moment cannot overfill a shelter. When several rows are locked, shelters
come first (by pk), then stays or people (by pk): the same order everywhere, so no deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from services.dates import completed_years
from services.models import CareService

from . import rules
from .models import MAX_AGE, Person, Shelter, ShelterLog, Stay

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

CHANGED = "(changed)"
# The database's last word on "one open stay per person" (and one person per case victim),
# when two transactions race past the checks: PostgreSQL names the constraint, SQLite the column.
ONE_OPEN_STAY_VIOLATIONS = (
    "one_open_stay_per_person",
    "one_person_per_victim_case",
    "shelters_stay.person_id",
    "shelters_person.victim_case_id",
)


class ShelterError(Exception):
    """A write refused by a shelter rule; the message is for the person who tried it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ShelterFullError(ShelterError):
    """Not enough free beds for everyone in the admission; nothing was stored."""

    def __init__(self, *, shelter: Shelter, free: int, needed: int):
        self.shelter, self.free, self.needed = shelter, free, needed
        if free <= 0:
            message = _("The shelter %(code)s is full: no bed is free. Nothing was stored.")
        else:
            message = _(
                "The shelter %(code)s does not have enough free beds for everyone: %(free)d free, "
                "%(needed)d needed. Nothing was stored."
            )
        super().__init__(message % {"code": shelter.code, "free": max(free, 0), "needed": needed})


class ShelterClosedError(ShelterError):
    def __init__(self, shelter: Shelter):
        super().__init__(
            _("The shelter %(code)s is not open on that date.") % {"code": shelter.code}
        )


class AlreadyStayingError(ShelterError):
    """Someone in the admission already has an open stay (a person has one at most)."""

    def __init__(self):
        super().__init__(
            _(
                "Someone in this admission already has an open stay in a shelter: discharge or "
                "transfer her first. Nothing was stored."
            )
        )


class StayNotOpenError(ShelterError):
    def __init__(self):
        super().__init__(_("Someone was already discharged: reload the page. Nothing was stored."))


class InvalidDateError(ShelterError):
    pass


class ImplausibleFamilyError(ShelterError):
    """An age that does not fit a child of the woman she comes with (shelters/rules.py).

    `problems` holds (index among the children, field, message)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        super().__init__(str(problems[0][2]))


class OverlappingStayError(ShelterError):
    """The new stay would overlap an earlier stay of the same person (shelters/rules.py).

    The message gives the dates, never the other shelter: it may be in another region, whose
    shelters' whereabouts these staff do not see."""

    def __init__(self, clash: Stay):
        self.clash = clash
        ended = clash.discharged_on.strftime("%d/%m/%Y") if clash.discharged_on else _("now")
        super().__init__(
            _(
                "This stay overlaps an earlier stay of the same person (%(start)s to %(end)s). "
                "Nothing was stored."
            )
            % {"start": clash.admitted_on.strftime("%d/%m/%Y"), "end": ended}
        )


class CapacityBelowOccupancyError(ShelterError):
    def __init__(self, occupied: int):
        self.occupied = occupied
        super().__init__(
            _("The capacity cannot be lower than the %(occupied)d people staying now.")
            % {"occupied": occupied}
        )


class ShelterHasResidentsError(ShelterError):
    def __init__(self):
        super().__init__(
            _("The shelter still has residents: discharge or transfer them before closing it.")
        )


@dataclass(frozen=True)
class Arrival:
    """One person of an admission: a new person (name, sex, age or birth date) or a known one.

    For a known `person`, her recorded sex and birth date are used.
    """

    role: str  # Stay.Role
    sex: int | None = None
    age: int | None = None  # completed years on the admission date
    birth_date: date | None = None
    full_name: str = ""
    person: Person | None = None

    def age_on(self, day: date, person: Person | None = None) -> int:
        born = (person.birth_date if person else None) or self.birth_date
        if born is not None:
            return completed_years(born, day)
        if self.age is None:
            raise ValueError("An arrival needs an age or a birth date.")
        return self.age


# Helpers (call inside a transaction) -----------------------------------------------------------


def _log(shelter: Shelter, user, action: str, stay: Stay | None = None, **changes) -> ShelterLog:
    return ShelterLog.objects.create(
        shelter=shelter, stay=stay, user=user, action=action, changes=changes
    )


def _lock_shelters(*pks: int) -> dict[int, Shelter]:
    """Lock the shelters' rows in pk order (the same order everywhere: no deadlock)."""
    locked = Shelter.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk")
    return {shelter.pk: shelter for shelter in locked}


def occupied_beds(shelter: Shelter) -> int:
    """The open stays of the shelter, counted now (inside the lock when it matters)."""
    return Stay.objects.open().filter(shelter=shelter).count()


def _check_not_future(day: date, message: str) -> None:
    if day > timezone.localdate():
        raise InvalidDateError(message)


def _admit_locked(
    *,
    shelter: Shelter,
    arrivals: Sequence[Arrival],
    admitted_on: date,
    user,
    case: Case | None,
    referring_service: CareService | None,
    planned_discharge_on: date | None,
    family_group: uuid.UUID,
    transferred_from: dict[int, Stay] | None = None,
    action: str = ShelterLog.Action.ADMIT,
) -> list[Stay]:
    """Admit `arrivals` into a shelter whose row the caller holds locked."""
    for arrival in arrivals:
        if arrival.person is None and (
            arrival.sex is None or (arrival.age is None and arrival.birth_date is None)
        ):
            raise ValueError("A new person needs her sex, and her age or birth date.")
        if arrival.age is not None and not 0 <= arrival.age <= MAX_AGE:
            raise ValueError(f"An age from 0 to {MAX_AGE} is needed.")
    if not shelter.is_open_on(admitted_on):
        raise ShelterClosedError(shelter)

    # The people already known, the victim of the referring case included, locked in pk order
    # so that the same person admitted twice at once is refused here, not by the database.
    known = {id(arrival): arrival.person for arrival in arrivals if arrival.person is not None}
    if case is not None:
        woman = next((a for a in arrivals if a.role == Stay.Role.WOMAN and a.person is None), None)
        victim = Person.objects.filter(victim_case=case).first()
        if woman is not None and victim is not None:
            known[id(woman)] = victim
    pks = [person.pk for person in known.values()]
    if len(set(pks)) != len(pks):
        raise AlreadyStayingError
    if pks:
        locked = Person.objects.select_for_update().filter(pk__in=pks).order_by("pk")
        people = {person.pk: person for person in locked}
        known = {key: people[person.pk] for key, person in known.items()}
        if Stay.objects.open().filter(person__in=pks).exists():
            raise AlreadyStayingError
        # A back-dated admission must not overlap a stay they already ended.
        earlier = Stay.objects.filter(person__in=pks).select_related("shelter").order_by("pk")
        clash = rules.clashing_stay(admitted_on, None, earlier)
        if clash is not None:
            raise OverlappingStayError(clash)

    ages = {id(a): a.age_on(admitted_on, known.get(id(a))) for a in arrivals}
    women = [ages[id(a)] for a in arrivals if a.role == Stay.Role.WOMAN]
    children = [ages[id(a)] for a in arrivals if a.role == Stay.Role.CHILD]
    implausible = rules.family_problems(women[0] if women else None, children)
    if implausible:
        raise ImplausibleFamilyError(implausible)

    free = shelter.capacity - occupied_beds(shelter)
    if len(arrivals) > free:
        raise ShelterFullError(shelter=shelter, free=free, needed=len(arrivals))

    stays = []
    for arrival in arrivals:
        person = known.get(id(arrival))
        if person is None:
            person = Person.objects.create(
                full_name=arrival.full_name.strip(),
                sex=arrival.sex,
                birth_date=arrival.birth_date,
                victim_case=case if case is not None and arrival.role == Stay.Role.WOMAN else None,
            )
        previous = (transferred_from or {}).get(person.pk)
        stay = Stay.objects.create(
            shelter=shelter,
            person=person,
            role=arrival.role,
            family_group=family_group,
            age_at_admission=arrival.age_on(admitted_on, person),
            admitted_on=admitted_on,
            planned_discharge_on=planned_discharge_on,
            case=case,
            referring_service=referring_service,
            transferred_from=previous,
            admitted_by=user,
        )
        _log(
            shelter,
            user,
            action,
            stay,
            admitted_on=admitted_on.isoformat(),
            role=arrival.role,
            family_group=str(family_group),
            **({"from_stay": previous.pk} if previous else {}),
        )
        stays.append(stay)
    return stays


def _lock_open_stays(stays: Iterable[Stay]) -> list[Stay]:
    pks = sorted({stay.pk for stay in stays})
    # Only the stays' own rows: their shelters are locked first where it matters.
    locked = list(
        Stay.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("person", "shelter", "case__service", "referring_service")
        .order_by("pk")
    )
    if not locked or len(locked) != len(pks):
        raise ValueError("Unknown stays.")
    if any(not stay.is_open for stay in locked):
        raise StayNotOpenError
    return locked


def _check_stay_dates(admitted_on: date, planned_discharge_on: date | None) -> None:
    """The rule of shelters/rules.py, as an exception: not in the future, planned after."""
    problems = rules.stay_dates_problems(
        admitted_on=admitted_on, planned_discharge_on=planned_discharge_on
    )
    if problems:
        raise InvalidDateError(str(problems[0][1]))


def _check_discharge_date(stays: Sequence[Stay], discharged_on: date) -> None:
    _check_not_future(discharged_on, _("The discharge date cannot be in the future."))
    admitted = max(stay.admitted_on for stay in stays)
    if discharged_on < admitted:
        raise InvalidDateError(
            _("The discharge date cannot be before the admission date (%(date)s).")
            % {"date": admitted.strftime("%d/%m/%Y")}
        )


def _discharge_locked(
    stays: Sequence[Stay], *, discharged_on: date, reason: str, user, action: str
) -> None:
    for stay in stays:
        stay.discharged_on = discharged_on
        stay.discharge_reason = reason
        stay.discharged_by = user
        stay.save(update_fields=["discharged_on", "discharge_reason", "discharged_by"])
        _log(
            stay.shelter,
            user,
            action,
            stay,
            discharged_on=discharged_on.isoformat(),
            reason=reason,
        )


@contextmanager
def _one_open_stay():
    """Turn the database's refusal of a second open stay into the refusal the checks give."""
    try:
        yield
    except IntegrityError as error:
        if any(name in str(error) for name in ONE_OPEN_STAY_VIOLATIONS):
            raise AlreadyStayingError from error
        raise


# Actions ---------------------------------------------------------------------------------------


def admit_family(
    *,
    shelter: Shelter,
    people: Sequence[Arrival],
    admitted_on: date,
    user: AbstractBaseUser | None,
    case: Case | None = None,
    referring_service: CareService | None = None,
    planned_discharge_on: date | None = None,
) -> list[Stay]:
    """Admit a woman and the children who come with her, all or none.

    Refuses with `ShelterFullError` (saying how many beds are free) when the shelter has not
    enough free beds for everyone, and with `AlreadyStayingError` when someone already has an
    open stay; nothing is stored then.
    """
    if not people:
        raise ValueError("An admission needs at least one person.")
    _check_stay_dates(admitted_on, planned_discharge_on)
    with _one_open_stay(), transaction.atomic():
        locked = _lock_shelters(shelter.pk)[shelter.pk]
        return _admit_locked(
            shelter=locked,
            arrivals=people,
            admitted_on=admitted_on,
            user=user,
            case=case,
            referring_service=referring_service or (case.service if case else None),
            planned_discharge_on=planned_discharge_on,
            family_group=uuid.uuid4(),
        )


def discharge(
    *,
    stays: Iterable[Stay],
    discharged_on: date,
    reason: str,
    user: AbstractBaseUser | None,
) -> list[Stay]:
    """Discharge one person or a whole family on `discharged_on` (not in the future, not before
    an admission). Stays are closed, never deleted."""
    if reason not in Stay.DischargeReason.values:
        raise ValueError(f"Unknown discharge reason: {reason!r}")
    with transaction.atomic():
        locked = _lock_open_stays(stays)
        _check_discharge_date(locked, discharged_on)
        _discharge_locked(
            locked,
            discharged_on=discharged_on,
            reason=reason,
            user=user,
            action=ShelterLog.Action.DISCHARGE,
        )
        return locked


def transfer_family(
    *,
    stays: Iterable[Stay],
    to_shelter: Shelter,
    transferred_on: date,
    user: AbstractBaseUser | None,
    planned_discharge_on: date | None = None,
) -> list[Stay]:
    """Move people of one family from their shelter to `to_shelter` in one step: discharged
    here and admitted there, or neither (a full destination leaves them where they were)."""
    stays = list(stays)
    if not stays:
        raise ValueError("A transfer needs at least one stay.")
    with _one_open_stay(), transaction.atomic():
        sources = {stay.shelter_id for stay in Stay.objects.filter(pk__in=[s.pk for s in stays])}
        if len(sources) != 1:
            raise ValueError("A transfer moves people of one shelter.")
        (source_pk,) = sources
        if source_pk == to_shelter.pk:
            raise ShelterError(_("Choose another shelter: they already stay in this one."))
        shelters = _lock_shelters(source_pk, to_shelter.pk)
        source, destination = shelters[source_pk], shelters[to_shelter.pk]
        locked = _lock_open_stays(stays)
        if len({stay.family_group for stay in locked}) != 1:
            raise ValueError("A transfer moves people of one family group.")
        _check_discharge_date(locked, transferred_on)
        _check_stay_dates(transferred_on, planned_discharge_on)
        for stay in locked:
            stay.shelter = source
        _discharge_locked(
            locked,
            discharged_on=transferred_on,
            reason=Stay.DischargeReason.TRANSFERRED,
            user=user,
            action=ShelterLog.Action.TRANSFER_OUT,
        )
        arrivals = [
            Arrival(
                role=stay.role,
                person=stay.person,
                age=stay.age_at_admission + completed_years(stay.admitted_on, transferred_on),
            )
            for stay in locked
        ]
        return _admit_locked(
            shelter=destination,
            arrivals=arrivals,
            admitted_on=transferred_on,
            user=user,
            case=locked[0].case,
            referring_service=locked[0].referring_service,
            planned_discharge_on=planned_discharge_on,
            family_group=locked[0].family_group,
            transferred_from={stay.person_id: stay for stay in locked},
            action=ShelterLog.Action.TRANSFER_IN,
        )


EDITABLE_FIELDS = ("name", "address", "capacity", "closed_on")


def update_shelter(
    *,
    shelter: Shelter,
    user: AbstractBaseUser | None,
    name: str,
    address: str,
    capacity: int,
    closed_on: date | None,
) -> Shelter:
    """Change what regional staff keep of a shelter. The capacity never goes below the people
    staying now, and a shelter with residents does not close."""
    with transaction.atomic():
        current = _lock_shelters(shelter.pk)[shelter.pk]
        occupied = occupied_beds(current)
        if capacity < 1:
            raise ShelterError(_("The capacity must be at least one bed."))
        if capacity < occupied:
            raise CapacityBelowOccupancyError(occupied)
        if closed_on is not None:
            if closed_on < current.opened_on:
                raise InvalidDateError(_("The closing date cannot be before the opening date."))
            if occupied and closed_on <= timezone.localdate():
                raise ShelterHasResidentsError
        new = {"name": name, "address": address, "capacity": capacity, "closed_on": closed_on}
        changes = {}
        for field, value in new.items():
            old = getattr(current, field)
            if old != value:
                if field == "address":
                    changes[field] = CHANGED
                else:
                    changes[field] = [_plain(old), _plain(value)]
                setattr(current, field, value)
        if changes:
            current.save(update_fields=[*changes, "updated_at"])
            _log(current, user, ShelterLog.Action.EDIT, **changes)
        return current


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value
