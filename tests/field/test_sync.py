"""POST /api/v1/sync/: each item validated by the online form, stored once, answered in order."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from cases import actions as case_actions
from cases.models import AuditEntry, Case, CaseAction
from services.models import Submission

from .conftest import SYNC, captured, case_url, item, post_json, sync

PREGNANT_ES = "Solo una mujer puede registrarse como gestante."
PREGNANT_EN = "Only a woman can be recorded as pregnant."


@pytest.fixture
def client_a(cast, as_user):
    return as_user(cast.caseworker_a)


# New cases --------------------------------------------------------------------------------


def test_a_case_item_is_registered_through_the_intake_form_and_audited(cast, client_a, intake):
    new = item("case", intake, service=cast.service_a.code)

    (answer,) = sync(client_a, new)

    case = Case.objects.get()
    assert answer == {
        "id": new["id"],
        "status": "accepted",
        "result": {"code": case.code, "url": case_url(case.code)},
    }
    assert case.service == cast.service_a
    assert case.created_by == cast.caseworker_a
    assert (case.victim_name, case.risk_level, case.violence_acts) == (
        "Rosa Quispe Huamán",
        3,
        ["BOFETADAS", "EMPUJONES"],
    )
    assert case.community.name == "Ccollpa"
    entry = AuditEntry.objects.get(case=case)
    assert entry.action == "create"
    assert entry.user == cast.caseworker_a
    assert entry.changes == {"captured_at": new["captured_at"], "via": "field"}
    assert entry.at > timezone.now() - timedelta(minutes=1)  # the arrival, not the capture


def test_the_same_item_twice_in_one_request_stores_one_case(cast, client_a, intake):
    new = item("case", intake, service=cast.service_a.code)

    first, second = sync(client_a, new, new)

    case = Case.objects.get()
    assert first == second
    assert first["result"]["code"] == case.code
    assert Submission.objects.get().key == uuid.UUID(new["id"])
    assert AuditEntry.objects.filter(action="create").count() == 1


def test_the_same_item_in_two_requests_answers_the_first_result(cast, client_a, intake):
    """The answer was lost and the device sends it again: the repeat would now be refused by
    the repeat check (the document has an earlier case: the first one), yet it is accepted."""
    new = item("case", intake, service=cast.service_a.code)
    (first,) = sync(client_a, new)

    (second,) = sync(client_a, new)

    assert Case.objects.count() == 1
    assert second == first
    assert second["status"] == "accepted"


def test_a_second_item_with_the_same_document_is_refused_by_the_repeat_check(
    cast, client_a, intake
):
    sync(client_a, item("case", intake, service=cast.service_a.code))

    (answer,) = sync(client_a, item("case", intake, service=cast.service_a.code))

    assert answer["status"] == "refused"
    assert list(answer["errors"]) == ["condition"]
    assert Case.objects.count() == 1


def test_a_refused_item_answers_its_field_errors_in_spanish(cast, client_a, intake):
    pregnant_man = item(
        "case", {**intake, "victim_sex": "1", "victim_pregnant": "true"}, service="SAR-081201"
    )

    (answer,) = sync(client_a, pregnant_man)

    assert answer == {
        "id": pregnant_man["id"],
        "status": "refused",
        "errors": {"victim_pregnant": [PREGNANT_ES]},
    }
    assert not Case.objects.exists()
    assert not Submission.objects.exists()  # corrected, the same id may be sent again


def test_errors_follow_the_chosen_language(cast, client_a, intake):
    client_a.cookies["django_language"] = "en"
    pregnant_man = item(
        "case", {**intake, "victim_sex": "1", "victim_pregnant": "true"}, service="SAR-081201"
    )
    (answer,) = sync(client_a, pregnant_man)
    assert answer["errors"] == {"victim_pregnant": [PREGNANT_EN]}


def test_a_refused_item_corrected_is_accepted_with_the_same_id(cast, client_a, intake):
    pregnant_man = item(
        "case", {**intake, "victim_sex": "1", "victim_pregnant": "true"}, service="SAR-081201"
    )
    assert sync(client_a, pregnant_man)[0]["status"] == "refused"

    corrected = {**pregnant_man, "data": {**pregnant_man["data"], "victim_sex": "0"}}
    (answer,) = sync(client_a, corrected)

    assert answer["status"] == "accepted"
    assert Case.objects.get().victim_pregnant is True


def test_missing_required_fields_are_refused_field_by_field(cast, client_a):
    (answer,) = sync(client_a, item("case", {"victim_name": "X"}, service="SAR-081201"))
    assert answer["status"] == "refused"
    assert {"intake_date", "condition", "district", "risk_level"} <= set(answer["errors"])
    assert all(isinstance(m, str) for ms in answer["errors"].values() for m in ms)


def test_one_refused_item_never_undoes_another(cast, client_a, intake):
    other = {**intake, "victim_document_type": "", "victim_document_number": ""}
    good, bad, good_too = (
        item("case", intake, service="SAR-081201"),
        item("case", {**other, "victim_sex": "1", "victim_pregnant": "true"}, service="SAR-081201"),
        item("case", {**other, "victim_name": "Otra Persona"}, service="SAR-081201"),
    )

    answers = sync(client_a, good, bad, good_too)

    assert [a["status"] for a in answers] == ["accepted", "refused", "accepted"]
    assert [a["id"] for a in answers] == [good["id"], bad["id"], good_too["id"]]
    assert Case.objects.count() == 2


def test_a_service_not_hers_is_not_found(cast, client_a, intake):
    for code in (cast.service_b.code, "SAR-999999"):
        (answer,) = sync(client_a, item("case", intake, service=code))
        assert answer == {"id": answer["id"], "status": "not_found"}
    assert not Case.objects.exists()


def test_another_users_id_is_refused_and_reveals_nothing(cast, client_a, as_user, intake):
    new = item("case", intake, service=cast.service_a.code)
    sync(client_a, new)
    client_b = as_user(cast.caseworker_b)
    intake_b = {**intake, "region": "21", "province": "2101", "district": "210101"}
    intake_b.pop("community")

    (answer,) = sync(client_b, {**new, "service": cast.service_b.code, "data": intake_b})

    assert answer["status"] == "refused"
    assert list(answer["errors"]) == ["id"]
    assert "result" not in answer
    assert Case.objects.count() == 1


# The capture time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, "", "yesterday", "2026-13-40T25:00:00", 1700000000, "FUTURE"],
)
def test_a_missing_wrong_or_future_capture_time_is_refused(cast, client_a, intake, value):
    if value == "FUTURE":
        value = (timezone.now() + timedelta(hours=1)).isoformat()
    new = {**item("case", intake, service="SAR-081201"), "captured_at": value}

    (answer,) = sync(client_a, new)

    assert answer["status"] == "refused"
    assert list(answer["errors"]) == ["captured_at"]
    assert not Case.objects.exists()


def test_a_device_clock_a_minute_ahead_is_accepted(cast, client_a, intake):
    ahead = (timezone.now() + timedelta(minutes=1)).isoformat()
    new = {**item("case", intake, service="SAR-081201"), "captured_at": ahead}
    assert sync(client_a, new)[0]["status"] == "accepted"


# Follow-up actions ------------------------------------------------------------------------


def action_data(**overrides):
    today = timezone.localdate().isoformat()
    return {"kind": "home_visit", "date": today, "notes": "", **overrides}


def test_an_action_item_is_appended_and_audited(cast, client_a, case_a):
    new = item("action", action_data(notes="Visita en Ccollpa"), case=case_a.code)

    (answer,) = sync(client_a, new)

    assert answer == {
        "id": new["id"],
        "status": "accepted",
        "result": {"code": case_a.code, "url": case_url(case_a.code)},
    }
    action = CaseAction.objects.get(case=case_a)
    assert (action.kind, action.staff, action.notes) == (
        "home_visit",
        cast.caseworker_a,
        "Visita en Ccollpa",
    )
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.IN_CARE
    entry = AuditEntry.objects.get(case=case_a, action="add_action")
    assert entry.changes == {
        "action": action.pk,
        "kind": "home_visit",
        "captured_at": new["captured_at"],
        "via": "field",
    }


def test_two_actions_on_one_case_are_both_appended(cast, client_a, case_a):
    answers = sync(
        client_a,
        item("action", action_data(), case=case_a.code),
        item("action", action_data(kind="psychological"), case=case_a.code),
    )
    assert [a["status"] for a in answers] == ["accepted", "accepted"]
    assert CaseAction.objects.filter(case=case_a).count() == 2


def test_an_action_item_sent_twice_is_appended_once(cast, client_a, case_a):
    new = item("action", action_data(), case=case_a.code)
    sync(client_a, new)
    sync(client_a, new, new)
    assert CaseAction.objects.count() == 1


def test_an_action_refused_by_the_form_answers_its_errors(cast, client_a, case_a):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    (answer,) = sync(client_a, item("action", action_data(date=tomorrow), case=case_a.code))
    assert answer["status"] == "refused"
    assert answer["errors"] == {"date": ["La fecha no puede estar en el futuro."]}
    assert not CaseAction.objects.exists()


def test_a_case_of_another_service_and_an_unknown_case_answer_the_same(
    cast, client_a, case_b, as_user
):
    answers = sync(
        client_a,
        item("action", action_data(), case=case_b.code),
        item("action", action_data(), case="SAR-081201-2023-99999"),
        item("edit", {"risk_level": "3"}, case=case_b.code, base_version=1),
    )
    assert [{k: v for k, v in a.items() if k != "id"} for a in answers] == [
        {"status": "not_found"}
    ] * 3
    assert not CaseAction.objects.exists()
    case_b.refresh_from_db()
    assert case_b.version == 1


def test_an_action_on_a_closed_case_is_refused_with_the_closed_message(cast, client_a, case_a):
    case_actions.close_case(
        case=case_a, user=cast.caseworker_a, closed_on=timezone.localdate(), reason="completed"
    )
    (answer,) = sync(client_a, item("action", action_data(), case=case_a.code))
    with translation.override("es-pe"):
        closed = case_actions.closed_case_message()
    assert answer["errors"] == {"__all__": [closed]}
    assert not CaseAction.objects.exists()


# Edits --------------------------------------------------------------------------------------


def test_an_edit_changes_only_the_fields_it_carries_and_is_audited(cast, client_a, case_a):
    before = {f.name: getattr(case_a, f.name) for f in Case._meta.local_fields}
    new = item("edit", {"risk_level": "3"}, case=case_a.code, base_version=1)

    (answer,) = sync(client_a, new)

    assert answer["status"] == "accepted"
    assert answer["result"]["code"] == case_a.code
    case_a.refresh_from_db()
    after = {f.name: getattr(case_a, f.name) for f in Case._meta.local_fields}
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"risk_level", "version", "updated_at"}
    assert (case_a.risk_level, case_a.version) == (3, 2)
    entry = AuditEntry.objects.get(case=case_a, action="update")
    assert entry.changes == {
        "risk_level": [2, 3],
        "captured_at": new["captured_at"],
        "via": "field",
    }


def test_an_edit_on_a_stale_version_is_a_conflict_and_stores_nothing(cast, client_a, case_a):
    case_actions.update_case(
        case=case_a, user=cast.caseworker_a, data={"risk_level": 1}, expected_version=1
    )
    new = item("edit", {"risk_level": "3"}, case=case_a.code, base_version=1)

    (answer,) = sync(client_a, new)

    assert answer == {
        "id": new["id"],
        "status": "conflict",
        "current": {
            "version": 2,
            "fields": {
                "risk_level": {"label": "Nivel de riesgo", "value": 1, "display": "Riesgo Leve"}
            },
        },
    }
    case_a.refresh_from_db()
    assert (case_a.risk_level, case_a.version) == (1, 2)
    assert not Submission.objects.exists()
    assert AuditEntry.objects.filter(case=case_a, action="update").count() == 1


def test_an_edit_that_breaks_a_rule_on_top_of_the_stored_case_is_refused(cast, client_a, case_a):
    """The record the edit would leave is checked whole: a man cannot be pregnant."""
    data = {"victim_pregnant": "true", "victim_sex": "1"}
    new = item("edit", data, case=case_a.code, base_version=1)
    (answer,) = sync(client_a, new)
    assert answer["status"] == "refused"
    assert answer["errors"] == {"victim_pregnant": [PREGNANT_ES]}
    case_a.refresh_from_db()
    assert case_a.version == 1


def test_an_edit_of_an_unknown_field_is_refused(cast, client_a, case_a):
    (answer,) = sync(client_a, item("edit", {"status": "closed"}, case=case_a.code, base_version=1))
    assert answer["status"] == "refused"
    assert list(answer["errors"]) == ["status"]
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN


# Malformed requests ---------------------------------------------------------------------------


KEY = str(uuid.uuid4())


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe",
        "[]",
        {"items": {}},
        {"items": [1]},
        {"items": [{"type": "case", "service": "SAR-081201", "data": {}}]},
        {"items": [{"id": "nope", "type": "case", "service": "SAR-081201", "data": {}}]},
        {"items": [{"id": KEY, "type": "refer", "case": "X", "data": {}}]},
        {"items": [{"id": KEY, "type": "case", "service": "SAR-081201", "data": []}]},
        {"items": [{"id": KEY, "type": "case", "data": {}}]},
        {"items": [{"id": KEY, "type": "edit", "case": "X", "data": {}}]},
        {"items": [{"id": KEY, "type": "edit", "case": "X", "base_version": "1", "data": {}}]},
        {"items": [{"id": KEY, "type": "case", "service": "S", "data": {"a": {"b": 1}}}]},
    ],
)
def test_a_malformed_request_is_a_400_in_json_and_stores_nothing(cast, client_a, intake, body):
    if isinstance(body, dict) and isinstance(body["items"], list):
        # a good item before the malformed one is not stored either: the request is refused whole
        body = {"items": [item("case", intake, service="SAR-081201"), *body["items"]]}

    response = post_json(client_a, SYNC, body)

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert not Case.objects.exists()


def test_more_than_100_items_is_a_400(cast, client_a, intake):
    items = [item("case", intake, service="SAR-081201") for _ in range(101)]
    response = post_json(client_a, SYNC, {"items": items})
    assert response.status_code == 400
    assert "100" in response.json()["detail"]
    assert not Case.objects.exists()


def test_100_items_are_taken(cast, client_a, case_a):
    items = [item("action", action_data(), case=case_a.code) for _ in range(100)]
    assert len(sync(client_a, *items)) == 100
    assert CaseAction.objects.count() == 100


def test_a_get_is_refused(cast, client_a):
    response = client_a.get(SYNC)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_numbers_and_booleans_are_read_as_the_form_reads_strings(cast, client_a, intake):
    data = {**intake, "victim_age": 34, "risk_level": 3, "victim_peruvian": True}
    (answer,) = sync(client_a, item("case", data, service="SAR-081201"))
    assert answer["status"] == "accepted"
    assert Case.objects.get().victim_age == 34


def test_captured_at_is_kept_as_the_device_sent_it(cast, client_a, case_a):
    moment = captured(minutes_ago=600)
    sync(client_a, {**item("action", action_data(), case=case_a.code), "captured_at": moment})
    assert AuditEntry.objects.get(action="add_action").changes["captured_at"] == moment


def test_a_repeat_that_missed_its_first_commit_is_accepted_not_a_conflict(cast, client_a, case_a):
    """Two copies of one edit race: the second passed the early repeat check before the first
    committed, then finds the version moved on. It answers the first result."""
    import uuid as uuid_module
    from datetime import datetime

    from django.utils import timezone

    from field.sync import sync_edit

    new = item("edit", {"risk_level": "3"}, case=case_a.code, base_version=1)
    (first,) = sync(client_a, new)
    assert first["status"] == "accepted"

    late = sync_edit(
        user=cast.caseworker_a,
        key=uuid_module.UUID(new["id"]),
        captured_at=datetime.fromisoformat(new["captured_at"]),
        case_code=case_a.code,
        base_version=1,
        data={"risk_level": "3"},
    )
    assert late["status"] == "accepted" and late["result"] == first["result"]
    # Another edit on the same stale version, with its own id, is still a conflict.
    other = sync_edit(
        user=cast.caseworker_a,
        key=uuid_module.uuid4(),
        captured_at=timezone.now(),
        case_code=case_a.code,
        base_version=1,
        data={"risk_level": "1"},
    )
    assert other["status"] == "conflict"
