"""The open cases to choose from, and the package a caseworker takes on a trip."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from activities import registry
from cases import actions as case_actions
from cases.models import AuditEntry
from tests.factories import CaseFactory, CommunityFactory

from .conftest import PACKAGE, post_json

OPEN_CASES = "/api/v1/field/open-cases/"
# The types of activities/data/activity_types.csv, with their Spanish labels, in its order.
ACTIVITY_TYPES_ES = [
    {"code": "TALLER", "label": "Taller"},
    {"code": "CAMPANA", "label": "Campaña"},
    {"code": "REUNION_AUTORIDADES", "label": "Reunión con autoridades comunales"},
    {"code": "VIGILANCIA_COMUNAL", "label": "Capacitación a la vigilancia comunal"},
    {"code": "FERIA", "label": "Feria"},
    {"code": "RUTA_ATENCION", "label": "Construcción de la ruta de atención"},
    {"code": "OTRA", "label": "Otra actividad"},
]


# Open cases -------------------------------------------------------------------------------------


def test_open_cases_lists_her_services_open_cases_newest_first_without_names(cast, as_user, case_b):
    older = CaseFactory(service=cast.service_a, intake_date=date(2024, 1, 5), risk_level=3)
    newer = CaseFactory(service=cast.service_a, intake_date=date(2024, 6, 1), status="in_care")
    closed = CaseFactory(service=cast.service_a, intake_date=date(2024, 7, 1))
    case_actions.close_case(
        case=closed, user=cast.caseworker_a, closed_on=date(2024, 7, 2), reason="completed"
    )

    response = as_user(cast.caseworker_a).get(OPEN_CASES)

    assert response.json() == {
        "cases": [
            {
                "code": newer.code,
                "intake_date": "2024-06-01",
                "risk": "Riesgo Moderado",
                "status": "En atención",
            },
            {
                "code": older.code,
                "intake_date": "2024-01-05",
                "risk": "Riesgo Severo",
                "status": "Abierto",
            },
        ]
    }
    assert newer.victim_name not in response.content.decode()
    # no case is read: codes and dates only
    assert not AuditEntry.objects.filter(action="view").exists()


def test_open_cases_stops_at_the_limit(cast, as_user, monkeypatch):
    monkeypatch.setattr("field.views.MAX_OPEN_CASES", 2)
    for _ in range(3):
        CaseFactory(service=cast.service_a)
    assert len(as_user(cast.caseworker_a).get(OPEN_CASES).json()["cases"]) == 2


# The package ------------------------------------------------------------------------------------


def test_the_package_holds_her_services_and_the_chosen_cases(cast, as_user):
    community = CommunityFactory(district=cast.service_a.district, name="Ccollpa")
    case = CaseFactory(
        service=cast.service_a,
        victim_name="Rosa Quispe",
        community=community,
        intake_date=date(2024, 10, 2),
        risk_level=2,
        violence_type=2,
    )
    case_actions.record_action(
        case=case, user=cast.caseworker_a, kind="home_visit", date=date(2024, 10, 9)
    )
    case_actions.record_action(
        case=case, user=cast.caseworker_a, kind="psychological", date=date(2024, 10, 20)
    )
    other = CaseFactory(service=cast.service_a)  # not chosen
    case.refresh_from_db()

    response = post_json(as_user(cast.caseworker_a), PACKAGE, {"cases": [case.code]})

    assert response.status_code == 200
    package = response.json()
    prepared = datetime.fromisoformat(package.pop("prepared_at"))
    assert abs((timezone.now() - prepared).total_seconds()) < 60
    assert package == {
        "user": cast.caseworker_a.pk,
        "services": [
            {
                "code": "SAR-081201",
                "name": "SAR Urcos",
                "region": "08",
                "province": "0812",
                "district": "081201",
            }
        ],
        "cases": [
            {
                "code": case.code,
                "version": case.version,
                "intake_date": "2024-10-02",
                "status": "En atención",
                "risk_level": 2,
                "risk": "Riesgo Moderado",
                "violence_type": "Violencia Física",
                "victim_name": "Rosa Quispe",
                "residence": "Ccollpa, Urcos",
                "actions": [
                    {"kind": "Sesión psicológica", "date": "2024-10-20"},
                    {"kind": "Visita domiciliaria", "date": "2024-10-09"},
                ],
            }
        ],
        "activity_types": ACTIVITY_TYPES_ES,
    }
    assert other.code not in response.content.decode()


def test_each_case_in_the_package_is_audited_as_read(cast, as_user):
    cases = [CaseFactory(service=cast.service_a) for _ in range(3)]

    post_json(as_user(cast.caseworker_a), PACKAGE, {"cases": [c.code for c in cases]})

    views = AuditEntry.objects.filter(action="view")
    assert sorted(views.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert {(e.user_id, e.changes["via"]) for e in views} == {(cast.caseworker_a.pk, "field")}


@pytest.mark.parametrize("count", [3, 30])
def test_the_package_costs_the_same_queries_for_3_and_30_cases(
    cast, as_user, django_assert_num_queries, count
):
    cases = [CaseFactory(service=cast.service_a) for _ in range(count)]
    for case in cases:
        case_actions.record_action(
            case=case, user=cast.caseworker_a, kind="home_visit", date=date(2024, 1, 1)
        )
    client = as_user(cast.caseworker_a)
    # 1 session, 2 user, 3 her assignments (scope), 4 the cases, 5 their actions,
    # 6 the audit entries (one insert), 7 her services; 8-10 the session saved
    # (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(10):
        response = post_json(client, PACKAGE, {"cases": [c.code for c in cases]})
    assert len(response.json()["cases"]) == count


@pytest.mark.parametrize("which", ["closed", "other service", "unknown"])
def test_one_case_she_may_not_take_refuses_the_whole_package(cast, as_user, case_b, which):
    mine = CaseFactory(service=cast.service_a)
    if which == "closed":
        bad = CaseFactory(service=cast.service_a)
        case_actions.close_case(
            case=bad, user=cast.caseworker_a, closed_on=date(2024, 1, 1), reason="completed"
        )
        code = bad.code
    else:
        code = case_b.code if which == "other service" else "SAR-081201-2023-99999"

    response = post_json(as_user(cast.caseworker_a), PACKAGE, {"cases": [mine.code, code]})

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert mine.victim_name not in response.content.decode()
    assert not AuditEntry.objects.filter(action="view").exists()


@pytest.mark.parametrize(
    "body",
    ["nope", "[]", "{}", '{"cases": "X"}', '{"cases": [1]}', '{"cases": null}'],
)
def test_a_malformed_package_request_is_a_400(cast, as_user, body):
    response = post_json(as_user(cast.caseworker_a), PACKAGE, body)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_more_than_200_cases_is_a_400(cast, as_user):
    codes = [f"SAR-081201-2024-{n:05d}" for n in range(201)]
    response = post_json(as_user(cast.caseworker_a), PACKAGE, {"cases": codes})
    assert response.status_code == 400


def test_the_same_code_twice_is_one_case(cast, as_user, case_a):
    response = post_json(as_user(cast.caseworker_a), PACKAGE, {"cases": [case_a.code] * 2})
    assert response.status_code == 200
    assert [c["code"] for c in response.json()["cases"]] == [case_a.code]


def test_a_trip_without_cases_takes_her_services_and_the_activity_types(cast, as_user):
    """A trip to run a workshop takes no case: the package still carries what the offline
    activity form needs, and reads (and audits) no case."""
    CaseFactory(service=cast.service_a)

    response = post_json(as_user(cast.caseworker_a), PACKAGE, {"cases": []})

    assert response.status_code == 200
    package = response.json()
    assert package["cases"] == []
    assert [s["code"] for s in package["services"]] == ["SAR-081201"]
    assert package["activity_types"] == ACTIVITY_TYPES_ES
    assert not AuditEntry.objects.exists()


def test_the_activity_types_follow_the_language_and_the_data_file(cast, as_user):
    client = as_user(cast.caseworker_a)
    client.cookies["django_language"] = "en"
    package = post_json(client, PACKAGE, {"cases": []}).json()
    assert package["activity_types"][0] == {"code": "TALLER", "label": "Workshop"}
    assert [t["code"] for t in package["activity_types"]] == registry.codes()
