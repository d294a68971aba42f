"""The field sync tells whether a document has a case (a "new" intake refused as a repeat): it
draws on the same budget of document checks as the intake form and is audited the same way.

Past the budget, an item is `refused` on `condition` with a message the device shows; nothing is
stored and the same item is accepted once the budget frees itself (docs/field-mode.md).
Refused accesses (a case or service not hers) are recorded in the trail of refused accesses.
"""

import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.utils import translation

from cases import actions
from cases.actions import REPEAT_CHECK_CACHE, REPEAT_CHECKS_PER_WINDOW
from cases.models import AuditEntry, Case, DocumentCheck
from services.models import RefusedAccess
from tests.factories import CaseFactory

from .conftest import PACKAGE, SYNC, item, post_json, sync

KNOWN = "41234567"  # the intake fixture's document
ADDRESS = "203.0.113.7"


@pytest.fixture
def client_a(cast, as_user):
    client = as_user(cast.caseworker_a)
    client.defaults["REMOTE_ADDR"] = ADDRESS
    return client


@pytest.fixture
def known(cast):
    """A case of another region's service with the intake's document."""
    return CaseFactory(
        service=cast.service_b, victim_document_type="DNI", victim_document_number=KNOWN
    )


def use_up_the_budget(user):
    for _ in range(REPEAT_CHECKS_PER_WINDOW):
        assert actions.allow_repeat_check(user=user)


def too_many() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return actions.too_many_checks_message()


# New cases ---------------------------------------------------------------------------------


def test_a_synced_intake_is_a_check_recorded_like_the_forms(cast, client_a, intake, known):
    new = item("case", intake, service=cast.service_a.code)

    (answer,) = sync(client_a, new)

    assert answer["status"] == "refused" and list(answer["errors"]) == ["condition"]
    entry = DocumentCheck.objects.get()
    assert (entry.via, entry.answer) == (DocumentCheck.Via.FIELD, DocumentCheck.Answer.EARLIER)
    assert (entry.user, entry.service) == (cast.caseworker_a, cast.service_a)
    assert entry.intake_key == uuid.UUID(new["id"])
    assert entry.ip_address == ADDRESS
    assert KNOWN not in str(DocumentCheck.objects.values().get())


def test_an_accepted_intake_is_recorded_too_with_its_address(cast, client_a, intake):
    (answer,) = sync(client_a, item("case", intake, service=cast.service_a.code))

    assert answer["status"] == "accepted"
    assert DocumentCheck.objects.get().answer == DocumentCheck.Answer.NONE
    assert AuditEntry.objects.get(action="create").ip_address == ADDRESS


def test_past_the_budget_a_case_item_is_refused_then_accepted_later(cast, client_a, intake):
    use_up_the_budget(cast.caseworker_a)
    new = item("case", intake, service=cast.service_a.code)

    (answer,) = sync(client_a, new)

    assert answer == {
        "id": new["id"],
        "status": "refused",
        "errors": {"condition": [too_many()]},
        "retry_after": 600,  # nothing to correct: the device keeps it and sends it again later
    }
    assert not Case.objects.exists()
    assert DocumentCheck.objects.get().answer == DocumentCheck.Answer.REFUSED

    caches[REPEAT_CHECK_CACHE].clear()  # ten minutes later
    (again,) = sync(client_a, new)
    assert again["status"] == "accepted"


def test_the_budget_is_shared_with_the_online_checks(cast, client_a, intake):
    """Each synced intake with a document takes one of the same slots as the form's checks."""
    other = {**intake, "victim_document_number": "40000000"}
    items = [
        item("case", {**other, "victim_document_number": f"4{n:07d}"}, service="SAR-081201")
        for n in range(REPEAT_CHECKS_PER_WINDOW)
    ]
    for n in range(REPEAT_CHECKS_PER_WINDOW - 2):
        assert actions.allow_repeat_check(user=cast.caseworker_a), n

    answers = sync(client_a, *items[:3])

    assert [a["status"] for a in answers] == ["accepted", "accepted", "refused"]
    assert answers[2]["errors"] == {"condition": [too_many()]}
    assert "retry_after" not in answers[0]


def test_an_item_over_the_budget_with_other_errors_must_be_corrected(cast, client_a, intake):
    """Only an item whose sole problem is the budget is sent again as it is."""
    use_up_the_budget(cast.caseworker_a)
    wrong = {**intake, "victim_sex": "1", "victim_pregnant": "true"}

    (answer,) = sync(client_a, item("case", wrong, service=cast.service_a.code))

    assert answer["status"] == "refused"
    assert set(answer["errors"]) == {"condition", "victim_pregnant"}
    assert "retry_after" not in answer


def test_an_intake_without_a_document_or_not_new_asks_nothing(cast, client_a, intake):
    use_up_the_budget(cast.caseworker_a)
    returning = {**intake, "condition": "2"}
    anonymous = {**intake, "victim_document_type": "", "victim_document_number": ""}

    answers = sync(
        client_a,
        item("case", returning, service="SAR-081201"),
        item("case", anonymous, service="SAR-081201"),
    )

    assert [a["status"] for a in answers] == ["accepted", "accepted"]
    assert not DocumentCheck.objects.exists()


# Edits -------------------------------------------------------------------------------------


@pytest.fixture
def new_case(cast):
    return CaseFactory(
        service=cast.service_a,
        condition=1,
        victim_document_type="DNI",
        victim_document_number="40000001",
    )


def test_a_synced_edit_of_the_document_is_a_check(cast, client_a, new_case, known):
    edit = item("edit", {"victim_document_number": KNOWN}, case=new_case.code, base_version=1)

    (answer,) = sync(client_a, edit)

    assert answer["status"] == "refused" and list(answer["errors"]) == ["condition"]
    entry = DocumentCheck.objects.get()
    assert (entry.via, entry.answer, entry.case) == ("field", "earlier", new_case)


def test_past_the_budget_a_synced_edit_of_the_document_is_refused(cast, client_a, new_case):
    use_up_the_budget(cast.caseworker_a)
    edit = item("edit", {"victim_document_number": "40000002"}, case=new_case.code, base_version=1)

    (answer,) = sync(client_a, edit)

    assert answer["errors"] == {"condition": [too_many()]}
    assert answer["retry_after"] == 600
    new_case.refresh_from_db()
    assert new_case.victim_document_number == "40000001"


def test_a_synced_edit_that_keeps_the_document_asks_nothing(cast, client_a, new_case):
    use_up_the_budget(cast.caseworker_a)
    edit = item("edit", {"risk_level": "3"}, case=new_case.code, base_version=1)

    (answer,) = sync(client_a, edit)

    assert answer["status"] == "accepted"
    assert not DocumentCheck.objects.exists()


# Refused accesses --------------------------------------------------------------------------


def test_items_naming_a_case_or_service_not_hers_are_recorded_as_refused(cast, client_a, intake):
    case_b = CaseFactory(service=cast.service_b)

    answers = sync(
        client_a,
        item("action", {"kind": "home_visit", "date": "2024-01-01"}, case=case_b.code),
        item("edit", {"risk_level": "3"}, case="SAR-081201-2024-99999", base_version=1),
        item("case", intake, service=cast.service_b.code),
    )

    assert [a["status"] for a in answers] == ["not_found"] * 3
    trail = list(RefusedAccess.objects.order_by("id").values_list("object_code", "reason", "path"))
    assert trail == [
        (case_b.code, "out_of_scope", SYNC),
        ("SAR-081201-2024-99999", "not_found", SYNC),
        (cast.service_b.code, "out_of_scope", SYNC),
    ]
    assert {r.ip_address for r in RefusedAccess.objects.all()} == {ADDRESS}
    assert {r.user for r in RefusedAccess.objects.all()} == {cast.caseworker_a}


def test_a_package_of_cases_not_hers_is_recorded_as_refused(cast, client_a):
    case_b = CaseFactory(service=cast.service_b)

    response = post_json(client_a, PACKAGE, {"cases": [case_b.code]})

    assert response.status_code == 404
    refusal = RefusedAccess.objects.get()
    assert (refusal.path, refusal.reason, refusal.user) == (PACKAGE, "not_found", cast.caseworker_a)


@pytest.mark.parametrize("member", ["regional_manager", "shelter_staff", "outsider"])
def test_the_field_api_refused_to_other_roles_is_recorded(cast, as_user, member):
    response = as_user(getattr(cast, member)).get("/api/v1/field/open-cases/")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    refusal = RefusedAccess.objects.get()
    assert (refusal.reason, refusal.path) == ("role", "/api/v1/field/open-cases/")


def test_a_lone_surrogate_in_a_synced_document_is_no_server_error(cast, client_a, intake):
    """JSON may carry what UTF-8 cannot encode: refused, never a query nor a server error."""
    odd = {**intake, "victim_document_type": "CE", "victim_document_number": "AB\ud800CD"}

    (answer,) = sync(client_a, item("case", odd, service=cast.service_a.code))

    assert answer["status"] == "refused"
    assert not Case.objects.exists()


def test_a_nul_byte_in_a_synced_document_is_refused_not_a_server_error(cast, client_a, intake):
    bad = item("case", {**intake, "victim_document_number": "4123\x004567"}, service="SAR-081201")

    (answer,) = sync(client_a, bad)

    assert answer["status"] == "refused"
    assert "victim_document_number" in answer["errors"]
    assert not Case.objects.exists()
