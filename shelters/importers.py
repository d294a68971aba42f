"""Import shelters (the HRT rows of the services file) and stays (kind `stays`).

Shelters: an HRT row of `import_csv --kind services` creates a Shelter through the services
import's `register_service_kind` hook. CAPACIDAD is required; the address is left empty (it is
confidential and never travels in files). A code already stored with the same values counts as
already present, with other values it is an error (an import never changes a shelter), and codes
are shared with the care services.

Stays: columns CODIGO_HOGAR, ID_PERSONA, SEXO (0 mujer, 1 hombre), EDAD (at admission),
FECHA_INGRESO, FECHA_EGRESO (the column is required, its cells may be empty: an open stay),
GRUPO_FAMILIAR, CODIGO_SERVICIO and NUMERO_CASO (optional).

Decisions (see also DESIGN.md, "Import formats"):
- ID_PERSONA is `Person.external_id`: one person however many rows; a new one is created with
  her sex and no name. A stored person with another sex is an error.
- The key of a stay is (person, shelter, admission date): a stored one counts as already present
  and is left as it is (a different discharge date is noted, never changed).
- Role: woman if female and 18 or older at admission, otherwise child.
- GRUPO_FAMILIAR: the same value in the same shelter is the same family group (a UUID derived
  from both, so a re-import or a later file links to the same group); empty gives a new group.
- A person's stays never overlap (a discharge and an admission on the same day, a transfer, do
  not overlap) and at most one is open. The file is read in order: a row clashing with an
  earlier accepted row, or with a stored stay, is the error, naming the line or shelter.
- The open stays of a shelter (stored and new) never exceed its capacity: the rows that would
  overfill it are errors. The storing transaction locks the shelters (then the known people)
  and checks again; if someone was admitted meanwhile, nothing is stored. Closed (historic)
  stays are not checked against the capacity day by day.
- The stay must fall while the shelter is open: admitted on or after its opening (as for an
  admission in the pages) and, for a shelter that has closed, discharged by its closing day.
- The case (CODIGO_SERVICIO + NUMERO_CASO, both or neither) must exist; it sets the stay's case
  and referring service. The person is not linked as the case's victim.
- Each new stay gets shelter log entries (admitted; discharged when closed) naming the file and
  line. No message quotes ID_PERSONA or any name.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.importers import NUMBER, SERVICE, stored_cases
from cases.models import Case
from services.csvimport import (
    BATCH_SIZE,
    Cells,
    ImportAborted,
    Importer,
    Report,
    RowError,
    in_query_chunks,
    read_choice,
    read_date,
    read_text,
    read_whole_number,
    register,
)
from services.importers import ModelKindHandler, ServiceRow, register_service_kind
from services.models import CareService

from . import rules
from .models import ADULT_AGE, MAX_AGE, Person, Sex, Shelter, ShelterLog, Stay

# PositiveSmallIntegerField: the largest value every database stores.
CAPACITY_MAX = 32767

SHELTER = "CODIGO_HOGAR"
PERSON = "ID_PERSONA"
SEX = "SEXO"
AGE = "EDAD"
ADMITTED = "FECHA_INGRESO"
DISCHARGED = "FECHA_EGRESO"
FAMILY = "GRUPO_FAMILIAR"

EXTERNAL_ID_MAX = Person._meta.get_field("external_id").max_length


# Shelters: the HRT rows of the services file ---------------------------------------------------


class ShelterHandler(ModelKindHandler):
    """Stores the HRT rows of the services import as shelters."""

    kinds = ("HRT",)
    model = Shelter

    def kind_of(self, stored: Shelter) -> str:
        return "HRT"

    def capacity_of(self, stored: Shelter) -> int:
        return stored.capacity

    def extra_fields(self, row: ServiceRow) -> dict[str, Any]:
        # The address is confidential and never travels in files.
        return {"address": "", "capacity": row.capacity}

    def check(self, row: ServiceRow) -> list[tuple[str, str]]:
        if row.capacity is None:
            return [("CAPACIDAD", _("This value is required."))]
        if row.capacity > CAPACITY_MAX:
            return [
                ("CAPACIDAD", _("Write a whole number from 1 to %(max)d.") % {"max": CAPACITY_MAX})
            ]
        return []


register_service_kind(ShelterHandler())


# Stays -----------------------------------------------------------------------------------------


@dataclass
class StayRow:
    """One valid row of the stays file."""

    line: int
    shelter: Shelter
    external_id: str
    sex: int
    age: int
    admitted_on: date
    discharged_on: date | None
    family: str
    case: Case | None

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None

    @property
    def role(self) -> str:
        if self.sex == Sex.FEMALE and self.age >= ADULT_AGE:
            return Stay.Role.WOMAN
        return Stay.Role.CHILD

    @property
    def family_group(self) -> uuid.UUID:
        if self.family:
            return uuid.uuid5(uuid.NAMESPACE_URL, f"{self.shelter.code}/{self.family}")
        return uuid.uuid4()


@dataclass(frozen=True)
class StoredStay:
    pk: int
    shelter_code: str
    admitted_on: date
    discharged_on: date | None


@register
class StayImporter(Importer):
    kind = "stays"
    label = gettext_lazy("Stays")
    required_columns = (SHELTER, PERSON, SEX, AGE, ADMITTED, DISCHARGED)
    optional_columns = (FAMILY, SERVICE, NUMBER)
    admin_model = "shelters.stay"

    # Loading what the file refers to: a few queries, never one per row.

    def prepare(self) -> None:
        source = self.source
        self.today = timezone.localdate()
        self.shelters: dict[str, Shelter] = {}
        for chunk in in_query_chunks(c.upper() for c in source.column(SHELTER) if c):
            self.shelters.update((s.code, s) for s in Shelter.objects.filter(code__in=chunk))
        self.services: dict[str, int] = {}
        for chunk in in_query_chunks(c.upper() for c in source.column(SERVICE) if c):
            self.services.update(
                CareService.objects.filter(code__in=chunk).values_list("code", "pk")
            )
        self.persons: dict[str, Person] = {}
        for chunk in in_query_chunks(v for v in source.column(PERSON) if v):
            self.persons.update(
                (p.external_id, p)
                for p in Person.objects.filter(external_id__in=chunk).only(
                    "pk", "sex", "external_id"
                )
            )
        self.stored_stays: dict[int, list[StoredStay]] = defaultdict(list)
        self.stored_keys: dict[tuple[int, int, date], StoredStay] = {}
        for chunk in in_query_chunks(p.pk for p in self.persons.values()):
            for pk, person_id, shelter_id, code, admitted_on, discharged_on in Stay.objects.filter(
                person_id__in=chunk
            ).values_list(
                "pk", "person_id", "shelter_id", "shelter__code", "admitted_on", "discharged_on"
            ):
                stay = StoredStay(pk, code, admitted_on, discharged_on)
                self.stored_stays[person_id].append(stay)
                self.stored_keys[(person_id, shelter_id, admitted_on)] = stay
        self.open_stays = self.count_open(s.pk for s in self.shelters.values())
        self.cases = stored_cases(source, self.services)

    @staticmethod
    def count_open(shelter_pks: Iterable[int]) -> Counter:
        counts: Counter = Counter()
        for chunk in in_query_chunks(shelter_pks):
            counts.update(
                dict(
                    Stay.objects.open()
                    .filter(shelter_id__in=chunk)
                    .values("shelter_id")
                    .annotate(n=Count("pk"))
                    .values_list("shelter_id", "n")
                )
            )
        return counts

    # Checking.

    def check_rows(self, report: Report) -> None:
        self.prepare()
        parsed = []
        for line, record in self.source.records():
            row, errors = self.parse(line, record)
            if errors:
                report.errors.extend(errors)
            else:
                parsed.append(row)
        implausible = self.against_family(parsed)
        report.errors.extend(implausible)
        refused = {error.line for error in implausible}
        parsed = [row for row in parsed if row.line not in refused]

        self.new_rows: list[StayRow] = []
        first_sex: dict[str, tuple[int, int]] = {}
        lines_of_key: dict[tuple[str, int, date], int] = {}
        accepted: dict[str, list[StayRow]] = defaultdict(list)
        new_open: Counter = Counter()
        other_discharge: list[int] = []
        for row in parsed:
            problem = self.against_people(row, first_sex)
            key = (row.external_id, row.shelter.pk, row.admitted_on)
            if problem is None and key in lines_of_key:
                problem = (
                    ADMITTED,
                    _("The same person, shelter and admission date are on line %(line)d.")
                    % {"line": lines_of_key[key]},
                )
            lines_of_key.setdefault(key, row.line)
            if problem is None:
                person = self.persons.get(row.external_id)
                stored = person and self.stored_keys.get((person.pk, *key[1:]))
                if stored:
                    report.present += 1
                    if stored.discharged_on != row.discharged_on:
                        other_discharge.append(row.line)
                    continue
                problem = self.against_stays(row, accepted[row.external_id])
            if problem is None and row.is_open:
                shelter = row.shelter
                if self.open_stays[shelter.pk] + new_open[shelter.pk] >= shelter.capacity:
                    problem = (
                        SHELTER,
                        _(
                            "The shelter %(code)s has no free bed for this open stay "
                            "(capacity %(capacity)d)."
                        )
                        % {"code": shelter.code, "capacity": shelter.capacity},
                    )
            if problem is not None:
                report.errors.append(RowError(row.line, *problem))
                continue
            if row.is_open:
                new_open[row.shelter.pk] += 1
            accepted[row.external_id].append(row)
            self.new_rows.append(row)

        report.to_create = len(self.new_rows)
        self.new_people = sorted(
            {row.external_id for row in self.new_rows if row.external_id not in self.persons}
        )
        report.extra_counts.append((_("New people"), len(self.new_people)))
        if other_discharge:
            report.notes.append(
                _(
                    "Lines %(lines)s: the stay is already stored with another discharge date and "
                    "was left as it is; change it in the application."
                )
                % {"lines": ", ".join(str(line) for line in other_discharge)}
            )

    def parse(self, line: int, record: dict[str, str]) -> tuple[StayRow | None, list[RowError]]:
        """Read one row on its own; return it (None when it has errors) and its errors."""
        cells = Cells(line, record)
        code = cells[SHELTER].upper()
        shelter = self.shelters.get(code)
        if not code:
            cells.error(SHELTER, _("This value is required."))
        elif shelter is None:
            cells.error(SHELTER, _("No shelter has the code %(code)s.") % {"code": code})
        external_id = cells.read(PERSON, read_text, max_length=EXTERNAL_ID_MAX, required=True)
        sex = cells.read(
            SEX,
            read_choice,
            {"0": Sex.FEMALE, "1": Sex.MALE},
            message=_("Use 0 (female) or 1 (male)."),
            required=True,
        )
        age = cells.read(AGE, read_whole_number, maximum=MAX_AGE, required=True)
        admitted_on = cells.read(ADMITTED, read_date, required=True, today=self.today)
        discharged_on = cells.read(DISCHARGED, read_date, today=self.today)
        self.check_dates(cells, shelter, admitted_on, discharged_on)
        case = self.read_case(cells)
        if cells.errors:
            return None, cells.errors
        row = StayRow(
            line, shelter, external_id, sex, age, admitted_on, discharged_on, cells[FAMILY], case
        )
        return row, cells.errors

    def check_dates(
        self,
        cells: Cells,
        shelter: Shelter | None,
        admitted_on: date | None,
        discharged_on: date | None,
    ) -> None:
        """The rules between one row's dates and its shelter (None: the cell did not read)."""
        if admitted_on and discharged_on and discharged_on < admitted_on:
            cells.error(DISCHARGED, _("The discharge date cannot be before the admission."))
        if shelter is None or admitted_on is None:
            return
        if not shelter.is_open_on(admitted_on):
            cells.error(
                ADMITTED,
                _("The shelter %(code)s is not open on that date.") % {"code": shelter.code},
            )
        # Discharged, or still there today: either way within the shelter's life.
        elif shelter.closed_on and (discharged_on or self.today) > shelter.closed_on:
            cells.error(
                DISCHARGED,
                _("The shelter %(code)s closed on %(date)s: the stay must end by that day.")
                % {"code": shelter.code, "date": shelter.closed_on.strftime("%d/%m/%Y")},
            )

    def read_case(self, cells: Cells) -> Case | None:
        """The stored case that CODIGO_SERVICIO and NUMERO_CASO name (both or neither)."""
        code, number = cells[SERVICE].upper(), cells[NUMBER]
        if not code and not number:
            return None
        if not code or not number:
            cells.error(
                NUMBER if code else SERVICE,
                _("Give both the service code and the case number, or neither."),
            )
            return None
        service_id = self.services.get(code)
        if service_id is None:
            cells.error(SERVICE, _("No service has the code %(code)s.") % {"code": code})
            return None
        case = self.cases.get((service_id, number))
        if case is None:
            cells.error(
                NUMBER, _("The service %(code)s has no case with this number.") % {"code": code}
            )
        return case

    def against_people(
        self, row: StayRow, first_sex: dict[str, tuple[int, int]]
    ) -> tuple[str, str] | None:
        """The row's sex against the stored person, or against her first row in the file."""
        person = self.persons.get(row.external_id)
        if person is not None:
            if person.sex != row.sex:
                return SEX, _("This person is already stored with the other sex.")
            return None
        sex, line = first_sex.setdefault(row.external_id, (row.sex, row.line))
        if sex != row.sex:
            return SEX, _("The same person has the other sex on line %(line)d.") % {"line": line}
        return None

    @staticmethod
    def against_family(rows: list[StayRow]) -> list[RowError]:
        """The rows of a family group whose age does not fit a child of its woman (the rule the
        admission page keeps, shelters/rules.py)."""
        families: dict[tuple[int, str, date], list[StayRow]] = defaultdict(list)
        for row in rows:
            if row.family:
                families[(row.shelter.pk, row.family, row.admitted_on)].append(row)
        errors = []
        for members in families.values():
            women = [row for row in members if row.role == Stay.Role.WOMAN]
            children = [row for row in members if row.role == Stay.Role.CHILD]
            if len(women) != 1:
                continue  # no woman, or sisters admitted together: nothing to compare with
            for index, _field, message in rules.family_problems(
                women[0].age, [row.age for row in children]
            ):
                errors.append(RowError(children[index].line, AGE, str(message)))
        return errors

    def against_stays(self, row: StayRow, earlier: list[StayRow]) -> tuple[str, str] | None:
        """One open stay at most, and no overlap: with stored stays, then the file's earlier
        accepted rows."""
        person = self.persons.get(row.external_id)
        stored = self.stored_stays.get(person.pk, []) if person else []
        if row.is_open:
            for stay in stored:
                if stay.discharged_on is None:
                    return DISCHARGED, _(
                        "This person already has an open stay stored in the shelter %(code)s."
                    ) % {"code": stay.shelter_code}
            for other in earlier:
                if other.is_open:
                    return DISCHARGED, _(
                        "This person already has an open stay on line %(line)d."
                    ) % {"line": other.line}
        start, end = row.admitted_on, row.discharged_on
        if stay := rules.clashing_stay(start, end, stored):
            return ADMITTED, _(
                "This stay overlaps a stay already stored in the shelter %(code)s "
                "(admitted on %(date)s)."
            ) % {"code": stay.shelter_code, "date": stay.admitted_on.strftime("%d/%m/%Y")}
        if other := rules.clashing_stay(start, end, earlier):
            return ADMITTED, _("This stay overlaps the stay on line %(line)d.") % {
                "line": other.line
            }
        return None

    # Storing.

    def store(self, report: Report) -> None:
        rows = self.new_rows
        if not rows:
            return
        self.lock_and_recheck(rows)

        # SQLite and PostgreSQL, the databases supported, set the new ids on the objects.
        people = dict(self.persons)
        if self.new_people:
            sex_of = {}
            for row in rows:
                sex_of.setdefault(row.external_id, row.sex)
            created = Person.objects.bulk_create(
                [Person(external_id=key, sex=sex_of[key]) for key in self.new_people],
                batch_size=BATCH_SIZE,
            )
            people.update((person.external_id, person) for person in created)

        stays = [
            Stay(
                shelter=row.shelter,
                person=people[row.external_id],
                role=row.role,
                family_group=row.family_group,
                age_at_admission=row.age,
                admitted_on=row.admitted_on,
                discharged_on=row.discharged_on,
                case=row.case,
                referring_service_id=row.case.service_id if row.case else None,
            )
            for row in rows
        ]
        Stay.objects.bulk_create(stays, batch_size=BATCH_SIZE)

        entries = []
        for row, stay in zip(rows, stays, strict=True):
            entries.append(
                self.log_entry(
                    row,
                    stay,
                    ShelterLog.Action.ADMIT,
                    admitted_on=row.admitted_on.isoformat(),
                    role=stay.role,
                    family_group=str(stay.family_group),
                )
            )
            if row.discharged_on:
                entries.append(
                    self.log_entry(
                        row,
                        stay,
                        ShelterLog.Action.DISCHARGE,
                        discharged_on=row.discharged_on.isoformat(),
                    )
                )
        ShelterLog.objects.bulk_create(entries, batch_size=BATCH_SIZE)

    def log_entry(self, row: StayRow, stay: Stay, action: str, **changes) -> ShelterLog:
        """The shelter log entry of a stored row, naming the file and the line."""
        return ShelterLog(
            shelter=row.shelter,
            stay=stay,
            user=self.user,
            action=action,
            changes={**changes, "file": self.source.name, "line": row.line},
        )

    def lock_and_recheck(self, rows: list[StayRow]) -> None:
        """Lock the shelters, then the known people (pk order, as the actions do), and check
        again what admissions since the check could have changed; abort if they did."""
        shelter_pks = sorted({row.shelter.pk for row in rows})
        locked = {
            shelter.pk: shelter
            for shelter in Shelter.objects.select_for_update()
            .filter(pk__in=shelter_pks)
            .order_by("pk")
        }
        person_pks = sorted(
            {self.persons[r.external_id].pk for r in rows if r.external_id in self.persons}
        )
        for chunk in in_query_chunks(person_pks):
            list(Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))

        if len(locked) != len(shelter_pks):
            raise ImportAborted()
        open_now = self.count_open(shelter_pks)
        new_open = Counter(row.shelter.pk for row in rows if row.is_open)
        for pk, count in sorted(new_open.items()):
            shelter = locked[pk]
            if open_now[pk] + count > shelter.capacity:
                raise ImportAborted(
                    _(
                        "The shelter %(code)s no longer has enough free beds (someone was "
                        "admitted meanwhile); nothing was stored. Run the import again."
                    )
                    % {"code": shelter.code}
                )
        known = {stay.pk for stays in self.stored_stays.values() for stay in stays}
        now = set()
        for chunk in in_query_chunks(person_pks):
            now.update(Stay.objects.filter(person_id__in=chunk).values_list("pk", flat=True))
        if now - known:
            raise ImportAborted()
