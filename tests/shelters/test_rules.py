"""The shelter rules hold on every write path: the admission page, the action, the stays import
and the database, so no path stores what another refuses."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases.actions import refer_case
from services.csvimport import run_import
from services.models import StaffAssignment
from shelters import actions, rules
from shelters.models import Person, Stay
from tests.csvfiles import write_csv
from tests.factories import AssignmentFactory, CaseFactory, StayFactory

from .conftest import ADMITTED, child, woman
from .test_pages import admission_data

Role = StaffAssignment.Role

# A 12-year-old "mother" with a "child" of 30: two people swapped at entry.
SWAPPED = {"woman_age": "12", "children": [("Rosa Quispe", 0, 30, None)]}


def test_the_rule_names_each_child_too_old_for_the_woman():
    assert rules.family_problems(30, [5, 18, 19, None]) == [
        (2, "age", rules.family_problems(30, [19])[0][2])
    ]
    assert rules.family_problems(None, [40]) == []
    assert rules.family_problems(12, [30])[0][0] == 0


def test_overlap_treats_a_same_day_move_as_no_overlap():
    assert not rules.overlap(date(2024, 3, 1), None, date(2024, 1, 1), date(2024, 3, 1))
    assert rules.overlap(date(2024, 2, 28), None, date(2024, 1, 1), date(2024, 3, 1))
    assert rules.overlap(date(2023, 1, 1), date(2023, 12, 1), date(2023, 6, 1), None)


def test_the_admission_page_refuses_an_implausible_family(cast, shelters, as_user):
    client = as_user(cast.shelter_staff)
    data = admission_data(children=SWAPPED["children"], woman_age=SWAPPED["woman_age"])
    response = client.post(reverse("shelter_admit", args=[shelters.a.code]), data)
    assert response.status_code == 200
    (child_form,) = [f for f in response.context["children"] if f.has_changed()]
    assert "at least 12 years younger" in " ".join(child_form.errors["age"])
    assert not Stay.objects.exists() and not Person.objects.exists()


def test_the_action_refuses_an_implausible_family(shelters):
    with pytest.raises(actions.ImplausibleFamilyError) as refused:
        actions.admit_family(
            shelter=shelters.a,
            people=[woman(age=30), child(age=3), child(age=30)],
            admitted_on=ADMITTED,
            user=None,
        )
    assert [index for index, _field, _message in refused.value.problems] == [1]
    assert not Stay.objects.exists()


def test_the_stays_import_refuses_an_implausible_family_naming_the_line(cast, shelters, tmp_path):
    def row(person, sex, age):
        return {
            "CODIGO_HOGAR": shelters.a.code,
            "ID_PERSONA": person,
            "SEXO": sex,
            "EDAD": age,
            "FECHA_INGRESO": "2024-03-01",
            "FECHA_EGRESO": "",
            "GRUPO_FAMILIAR": "F1",
            "CODIGO_SERVICIO": "",
            "NUMERO_CASO": "",
        }

    # A woman of 19 with a girl of 7 is a family; a "son" of 45 is not her child.
    path = write_csv(tmp_path / "estancias.csv", [row("P1", 0, 19), row("P2", 0, 7)])
    ok = run_import("stays", path, dry_run=True)
    assert not ok.all_errors, ok.all_errors
    path = write_csv(
        tmp_path / "estancias.csv", [row("P1", 0, 19), row("P2", 0, 7), row("P3", 1, 45)]
    )
    report = run_import("stays", path, dry_run=True)
    assert {(e.line, e.column) for e in report.all_errors} == {(4, "EDAD")}, report.all_errors


def _victim_with_a_past_stay(cast, shelters):
    case = CaseFactory(service=cast.service_a, victim_name="Rosa Quispe Huamán", victim_age=34)
    refer_case(
        case=case,
        user=cast.caseworker_a,
        destination="shelter",
        date=case.intake_date,
        consent=True,
    )
    (stay,) = actions.admit_family(
        shelter=shelters.a,
        people=[woman(age=34)],
        admitted_on=date(2024, 3, 1),
        user=None,
        case=case,
    )
    actions.discharge(stays=[stay], discharged_on=date(2024, 3, 20), reason="family", user=None)
    return case


def test_the_admission_page_refuses_a_back_dated_stay_over_an_ended_one(cast, shelters, as_user):
    case = _victim_with_a_past_stay(cast, shelters)
    # Staff who also work the case's service may admit from it again, whatever its past.
    AssignmentFactory(user=cast.shelter_staff, role=Role.CASEWORKER, service=cast.service_a)
    client = as_user(cast.shelter_staff)
    data = admission_data(case_code=case.code, woman_age="34", admitted_on="2024-03-10")
    response = client.post(reverse("shelter_admit", args=[shelters.a.code]), data)
    assert response.status_code == 200
    assert "overlaps an earlier stay" in response.content.decode()
    assert Stay.objects.count() == 1
    # The day she left, or later, is fine.
    data["admitted_on"] = "2024-03-20"
    assert client.post(reverse("shelter_admit", args=[shelters.a.code]), data).status_code == 302
    assert Stay.objects.count() == 2


def test_the_action_refuses_a_back_dated_stay_over_an_ended_one(cast, shelters):
    case = _victim_with_a_past_stay(cast, shelters)
    with pytest.raises(actions.OverlappingStayError) as refused:
        actions.admit_family(
            shelter=shelters.a,
            people=[woman(age=34)],
            admitted_on=date(2024, 3, 19),
            user=None,
            case=case,
        )
    assert Stay.objects.count() == 1
    # The dates, never the other shelter (it may be in a region these staff do not see).
    assert "01/03/2024" in refused.value.message
    assert shelters.a.code not in refused.value.message


@pytest.mark.parametrize(
    "fields",
    [
        {"age_at_admission": 121},
        {"discharged_on": date(2024, 2, 1), "discharge_reason": "family"},
        {"planned_discharge_on": date(2024, 2, 1)},
    ],
)
def test_the_database_refuses_a_stay_against_the_rules(shelters, fields):
    stay = StayFactory(shelter=shelters.a, admitted_on=date(2024, 3, 1))
    for name, value in fields.items():
        setattr(stay, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        stay.save()
