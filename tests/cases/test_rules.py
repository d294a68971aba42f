"""Each rule of a case record holds on every write path: the intake form, the cases import and
the database itself (a check constraint), so no path stores what another refuses."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import rules
from cases.models import Case
from services.csvimport import run_import
from services.rules import RuleViolation
from tests.cases.test_import_cases import case_row
from tests.cases.test_intake import CREATE, errors
from tests.csvfiles import import_cases, write_csv
from tests.factories import CaseFactory

# name: (form changes, import cells, database fields, field at fault, registry column at fault)
RULES = {
    "pregnant_man": (
        {"victim_sex": "1", "victim_pregnant": "true"},
        {"SEXO_VICTIMA": 1, "VICTIMA_GESTANDO": 1},
        {"victim_sex": 1, "victim_pregnant": True},
        "victim_pregnant",
        "VICTIMA_GESTANDO",
    ),
    "peruvian_with_foreign_country": (
        {"victim_peruvian": "on", "victim_country": "1"},
        {"VICTIMA_PERUANA": 1, "VICTIMA_PAIS_EXTRANJERO": 1},
        {"victim_peruvian": True, "victim_country": 1},
        "victim_country",
        "VICTIMA_PAIS_EXTRANJERO",
    ),
    "foreigner_without_country": (
        {"victim_peruvian": ""},
        {"VICTIMA_PERUANA": 0, "VICTIMA_PAIS_EXTRANJERO": ""},
        None,  # the database accepts a foreigner whose country a file did not carry
        "victim_country",
        "VICTIMA_PAIS_EXTRANJERO",
    ),
    "partner_with_family_detail": (
        {"relationship": "1", "partner_relationship": "3", "family_relationship": "1"},
        {"VINCULO_AGRESOR_VICTIMA": 1, "VINCULO_PAREJA": 3, "VINCULO_FAMILIAR": 1},
        {"relationship": 1, "partner_relationship": 3, "family_relationship": 1},
        "family_relationship",
        "VINCULO_FAMILIAR",
    ),
    "short_dni": (
        {"victim_document_type": "DNI", "victim_document_number": "412"},
        {"TIPO_DOCUMENTO": "DNI", "NUMERO_DOCUMENTO": "412"},
        {"victim_document_type": "DNI", "victim_document_number": "412"},
        "victim_document_number",
        "NUMERO_DOCUMENTO",
    ),
    "document_without_type": (
        {"victim_document_type": "", "victim_document_number": "41234567"},
        {"TIPO_DOCUMENTO": "", "NUMERO_DOCUMENTO": "41234567"},
        {"victim_document_type": "", "victim_document_number": "41234567"},
        "victim_document_type",
        "TIPO_DOCUMENTO",
    ),
    "birth_after_intake": (
        {"victim_age": "", "victim_birth_date": "2023-03-16", "intake_date": "2023-03-15"},
        {},  # the registry carries no birth date
        {"victim_birth_date": date(2023, 3, 16), "intake_date": date(2023, 3, 15)},
        "victim_birth_date",
        None,
    ),
    "aggressor_too_old": (
        {"aggressor_age": "121"},
        {"EDAD_AGRESOR": 121},
        {"aggressor_age": 121},
        "aggressor_age",
        "EDAD_AGRESOR",
    ),
    "victim_too_old": (
        {"victim_age": "121"},
        {"EDAD_VICTIMA": 121},
        {"victim_age": 121},
        "victim_age",
        "EDAD_VICTIMA",
    ),
    "too_many_children": (
        {"daughters_0_17": "31"},
        {"HIJAS_VIVAS_0_17": 31},
        {"daughters_0_17": 31},
        "daughters_0_17",
        "HIJAS_VIVAS_0_17",
    ),
}


@pytest.mark.parametrize("rule", RULES)
def test_the_form_refuses_it_next_to_the_field(cast, as_user, intake, rule):
    changes, _cells, _fields, field, _column = RULES[rule]
    intake.update(changes)
    response = as_user(cast.caseworker_a).post(CREATE, intake)
    assert response.status_code == 200
    assert errors(response, field), response.context["form"].errors
    assert not Case.objects.exists()


@pytest.mark.parametrize("rule", [name for name, spec in RULES.items() if spec[4]])
def test_the_import_refuses_it_naming_line_and_column(cast, tmp_path, rule):
    _changes, cells, _fields, _field, column = RULES[rule]
    rows = [case_row("2023-1"), case_row("2023-2", **cells)]
    if "VINCULO_AGRESOR_VICTIMA" in cells:
        rows[0].update(VINCULO_AGRESOR_VICTIMA=2, VINCULO_PAREJA="", VINCULO_FAMILIAR=1)
    columns = list(dict.fromkeys([*rows[0], *rows[1]]))
    path = write_csv(tmp_path / "casos.csv", rows, columns=columns)

    report = run_import("cases", path, dry_run=True)
    assert {(e.line, e.column) for e in report.all_errors} == {(3, column)}, report.all_errors
    with pytest.raises(CommandError):
        import_cases(path)
    assert not Case.objects.exists()


@pytest.mark.parametrize("rule", [name for name, spec in RULES.items() if spec[2]])
def test_the_database_refuses_it(cast, rule):
    _changes, _cells, fields, _field, _column = RULES[rule]
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15))
    for name, value in fields.items():
        setattr(case, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


ACTION_FIELDS = {"foreigner_without_country": {"victim_peruvian": False, "victim_country": None}}


@pytest.mark.parametrize("rule", RULES)
def test_the_action_refuses_it(cast, rule):
    from cases.actions import open_case

    _changes, _cells, fields, field, _column = RULES[rule]
    fields = fields or ACTION_FIELDS[rule]
    base = CaseFactory.build(service=cast.service_a, intake_date=date(2023, 3, 15))
    data = {name: getattr(base, name) for name in rules.RULE_FIELDS}
    data.update(district=base.district, violence_type=base.violence_type, **fields)
    with pytest.raises(RuleViolation) as refused:
        open_case(service=cast.service_a, user=cast.caseworker_a, data=data)
    assert field in {name for name, _message in refused.value.problems}
    assert not Case.objects.exists()


def test_a_valid_record_has_no_problem_and_gets_its_age_from_the_birth_date():
    values = {
        "intake_date": date(2023, 3, 15),
        "victim_birth_date": date(1990, 3, 16),
        "victim_age": None,
        "victim_document_type": "dni",
        "victim_document_number": " 4123 4567 ",
        "victim_peruvian": True,
        "victim_country": None,
        "relationship": 2,
        "partner_relationship": None,
        "family_relationship": 1,
        "other_relationship": None,
        "violence_type": 2,
        "violence_acts": ["EMPUJONES", "BOFETADAS", "BOFETADAS"],
    }
    assert rules.clean_case(values) == []
    assert values["victim_age"] == 32
    assert values["victim_document_number"] == "41234567"
    assert values["victim_document_type"] == "DNI"
    assert values["violence_acts"] == ["BOFETADAS", "EMPUJONES"]


def test_only_the_rules_of_the_fields_given_are_checked():
    # A file without VINCULO_PAREJA is not asked for it; one that carries it is.
    assert rules.clean_case({"relationship": 1}) == []
    problems = rules.clean_case({"relationship": 1, "partner_relationship": None})
    assert [field for field, _message in problems] == ["partner_relationship"]
    # A foreign country alone says the person is not Peruvian.
    values = {"victim_country": 12}
    assert rules.clean_case(values) == [] and values["victim_peruvian"] is False


def test_the_future_and_the_service_opening_bound_the_intake_date():
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert [f for f, _m in rules.clean_case({"intake_date": tomorrow})] == ["intake_date"]
    before = rules.clean_case(
        {"intake_date": date(2019, 12, 31)}, service_opened_on=date(2020, 1, 1)
    )
    assert [f for f, _m in before] == ["intake_date"]


def test_a_value_the_file_does_not_carry_is_stored_as_unknown_never_invented(cast, tmp_path):
    # No FORMA_INGRESO nor VINCULO_AGRESOR_VICTIMA column; SEXO_AGRESOR there but empty.
    path = write_csv(tmp_path / "casos.csv", [case_row("1", SEXO_AGRESOR="")])
    out, _err = import_cases(path)

    case = Case.objects.get()
    assert (case.entry_route, case.aggressor_sex, case.relationship) == (None, None, None)
    assert "FORMA_INGRESO" in out and "No registrado" in out
    assert case.audit_entries.get().changes["unknown"] == [
        "FORMA_INGRESO",
        "VINCULO_AGRESOR_VICTIMA",
    ]


@pytest.mark.parametrize("field", ["entry_route", "aggressor_sex", "relationship"])
def test_the_intake_form_still_asks_for_what_an_import_may_leave_unknown(
    cast, as_user, intake, field
):
    intake[field] = ""
    response = as_user(cast.caseworker_a).post(CREATE, intake)
    assert errors(response, field)
    assert not Case.objects.exists()


def test_a_foreign_national_whose_file_has_no_country_column_is_stored_with_it_unknown(
    cast, tmp_path
):
    path = write_csv(tmp_path / "casos.csv", [case_row("1", VICTIMA_PERUANA=0)])
    import_cases(path)
    case = Case.objects.get()
    assert (case.victim_peruvian, case.victim_country) == (False, None)
