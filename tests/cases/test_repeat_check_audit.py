"""The document-number check: answered during an intake only, within one budget, always audited.

Whether a document has a case anywhere in the country is an answer beyond the asker's scope.
Every path that gives it (the check while typing, the intake form, the edit form; the field sync
in tests/field/test_document_oracle.py) draws on the same budget of checks per user and leaves
one `DocumentCheck` per answer, holding a keyed hash of the number, never the number.
"""

import re
import time
import uuid

import pytest
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from cases import actions
from cases.actions import REPEAT_CHECKS_PER_WINDOW, document_digest
from cases.models import Case, DocumentCheck
from services.models import RefusedAccess, Submission
from tests.factories import CaseFactory, intake_post_data, repeat_check_post_data

CHECK = reverse("case_repeat_check")
CREATE = reverse("case_create")
KNOWN = "41234567"  # has a case in service B (another region)
UNKNOWN = "99999999"
ADDRESS = "203.0.113.7"


@pytest.fixture
def known(cast):
    return CaseFactory(
        service=cast.service_b, victim_document_type="DNI", victim_document_number=KNOWN
    )


@pytest.fixture
def worker(cast, as_user):
    client = as_user(cast.caseworker_a)
    client.defaults["REMOTE_ADDR"] = ADDRESS
    return client


def check(client, cast, document, **overrides):
    return client.post(
        CHECK, repeat_check_post_data(cast.caseworker_a, cast.service_a, document, **overrides)
    )


def use_up_the_budget(user, left: int = 0):
    for _ in range(REPEAT_CHECKS_PER_WINDOW - left):
        assert actions.allow_repeat_check(user=user)


def too_many() -> str:
    """The refusal's words in the pages' language."""
    with translation.override(settings.LANGUAGE_CODE):
        return actions.too_many_checks_message()


def form_attributes(page: str) -> dict[str, str]:
    form = re.search(r'<form[^>]*id="case-form"[^>]*>', page, re.S).group(0)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', form))


# Only during an intake ---------------------------------------------------------------------


def test_the_intake_form_carries_the_proof_and_the_check_answers_with_it(cast, worker, known):
    """The page's own key and proof, as static/js/case_form.js sends them."""
    page = worker.get(CREATE).content.decode()
    attributes = form_attributes(page)
    key = re.search(r'name="submission_token" value="([^"]+)"', page).group(1)

    answer = worker.post(
        attributes["data-repeat-url"],
        {
            "document": KNOWN,
            "service": cast.service_a.code,
            "submission_token": key,
            "intake_proof": attributes["data-intake-proof"],
        },
    )

    assert answer.status_code == 200
    assert answer.json()["earlier"] is True


def test_the_edit_form_offers_no_check_while_typing(cast, worker):
    case = CaseFactory(service=cast.service_a)
    attributes = form_attributes(
        worker.get(reverse("case_edit", args=[case.code])).content.decode()
    )
    assert "data-intake-proof" not in attributes and "data-repeat-url" not in attributes


@pytest.mark.parametrize("missing", ["intake_proof", "submission_token", "all but the document"])
def test_without_an_intake_in_progress_there_is_no_answer(cast, worker, known, missing):
    data = repeat_check_post_data(cast.caseworker_a, cast.service_a, KNOWN)
    if missing == "all but the document":
        data = {"document": KNOWN}
    else:
        del data[missing]

    response = worker.post(CHECK, data)

    assert response.status_code == 404
    assert not DocumentCheck.objects.exists()
    assert RefusedAccess.objects.get().path == CHECK


def test_a_proof_made_for_someone_else_or_another_service_is_refused(cast, worker, known):
    for_b = actions.intake_proof(user=cast.caseworker_b, service=cast.service_a)
    for_service_b = actions.intake_proof(user=cast.caseworker_a, service=cast.service_b)
    forged = actions.intake_proof(user=cast.caseworker_a, service=cast.service_a)[:-2] + "xx"

    for proof in (for_b, for_service_b, forged, "", "not a proof"):
        assert check(worker, cast, KNOWN, intake_proof=proof).status_code == 404, proof
    assert not DocumentCheck.objects.exists()


def test_a_proof_answers_for_one_intake_key_only(cast, worker, known):
    """A form drawn once answers for its own intake: the same proof with a fresh key (a new
    question each time) is refused."""
    proof = actions.intake_proof(user=cast.caseworker_a, service=cast.service_a)
    first, other = str(uuid.uuid4()), str(uuid.uuid4())

    assert check(worker, cast, KNOWN, intake_proof=proof, submission_token=first).status_code == 200
    assert check(worker, cast, KNOWN, intake_proof=proof, submission_token=first).status_code == 200
    assert check(worker, cast, KNOWN, intake_proof=proof, submission_token=other).status_code == 404
    assert DocumentCheck.objects.count() == 2


def test_a_proof_older_than_two_hours_is_refused(cast, worker, known, monkeypatch):
    three_hours_ago = time.time() - 3 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: three_hours_ago)
    old = actions.intake_proof(user=cast.caseworker_a, service=cast.service_a)
    monkeypatch.undo()

    assert check(worker, cast, KNOWN, intake_proof=old).status_code == 404
    assert check(worker, cast, KNOWN).status_code == 200


def test_a_submitted_intake_no_longer_gets_answers(cast, worker, known):
    """Its key was used: the intake is over, and its proof opens nothing more."""
    key = uuid.uuid4()
    Submission.objects.create(key=key, user=cast.caseworker_a, result_url="/cases/")

    assert check(worker, cast, KNOWN, submission_token=str(key)).status_code == 404
    assert check(worker, cast, KNOWN, submission_token="not-a-uuid").status_code == 404


@pytest.mark.parametrize("member", ["regional_manager", "shelter_staff", "outsider", "admin"])
def test_no_one_but_a_caseworker_checks(cast, as_user, known, member):
    user = getattr(cast, member)
    data = repeat_check_post_data(user, cast.service_a, KNOWN)
    assert as_user(user).post(CHECK, data).status_code == 404
    assert not DocumentCheck.objects.exists()


def test_a_caseworker_cannot_check_for_a_service_not_hers(cast, as_user, known):
    data = repeat_check_post_data(cast.caseworker_a, cast.service_b, KNOWN)
    assert as_user(cast.caseworker_a).post(CHECK, data).status_code == 404


# Every answer is audited -------------------------------------------------------------------


def test_each_check_is_recorded_with_a_keyed_hash_never_the_number(cast, worker, known):
    data = repeat_check_post_data(cast.caseworker_a, cast.service_a, KNOWN)

    assert worker.post(CHECK, data).json()["earlier"] is True
    assert check(worker, cast, UNKNOWN).json()["earlier"] is False

    earlier, none = DocumentCheck.objects.order_by("id")
    assert (earlier.answer, none.answer) == ("earlier", "none")
    assert earlier.user == none.user == cast.caseworker_a
    assert earlier.service == none.service == cast.service_a
    assert earlier.via == none.via == DocumentCheck.Via.CHECK
    assert earlier.ip_address == ADDRESS
    assert earlier.intake_key == uuid.UUID(data["submission_token"])
    assert earlier.document_digest == document_digest(KNOWN) != none.document_digest
    assert len(earlier.document_digest) == 64
    for row in DocumentCheck.objects.values():
        assert KNOWN not in str(row) and UNKNOWN not in str(row)


def test_the_hash_is_keyed_and_follows_the_stored_form_of_the_number(settings):
    import hashlib

    assert document_digest(" 4123 4567 ") == document_digest(KNOWN)
    assert document_digest(KNOWN) != hashlib.sha256(KNOWN.encode()).hexdigest()
    with_secret_key = document_digest(KNOWN)
    settings.DOCUMENT_HASH_KEY = "a dedicated key, kept apart from SECRET_KEY"
    assert document_digest(KNOWN) != with_secret_key
    settings.DOCUMENT_HASH_KEY = ""
    settings.SECRET_KEY = "another secret key, as after a rotation " * 2
    assert document_digest(KNOWN) != with_secret_key


def test_a_refused_check_is_recorded_too(cast, worker, known):
    use_up_the_budget(cast.caseworker_a)

    response = check(worker, cast, KNOWN)

    assert response.status_code == 429
    assert response.json()["earlier"] is False
    assert DocumentCheck.objects.get().answer == DocumentCheck.Answer.REFUSED


# The intake and edit forms -----------------------------------------------------------------


def test_the_intake_form_checks_within_the_budget_and_records_it(cast, worker, known):
    data = intake_post_data(cast.service_a, submission_token=str(uuid.uuid4()))

    refused = worker.post(CREATE, data)  # "new", yet the document has a case in service B

    assert refused.status_code == 200
    assert "casos anteriores" in " ".join(refused.context["form"].errors["condition"])
    entry = DocumentCheck.objects.get()
    assert (entry.via, entry.answer, entry.service) == ("intake", "earlier", cast.service_a)
    assert entry.intake_key == uuid.UUID(data["submission_token"])
    assert entry.ip_address == ADDRESS


def test_past_the_budget_the_intake_form_refuses_with_a_clear_message(cast, worker, known):
    use_up_the_budget(cast.caseworker_a)

    response = worker.post(CREATE, intake_post_data(cast.service_a))

    assert response.status_code == 200
    # Only that message: nothing says whether the document has a case.
    assert response.context["form"].errors["condition"] == [too_many()]
    assert not Case.objects.filter(service=cast.service_a).exists()
    assert DocumentCheck.objects.get().answer == DocumentCheck.Answer.REFUSED


def test_past_the_budget_an_intake_that_asks_nothing_is_still_registered(cast, worker, known):
    """A returning person (Reingreso) or no document: nothing is checked, nothing is counted."""
    use_up_the_budget(cast.caseworker_a)

    response = worker.post(CREATE, intake_post_data(cast.service_a, condition="2"))

    assert response.status_code == 302
    assert Case.objects.filter(service=cast.service_a).exists()
    assert not DocumentCheck.objects.exists()


def test_one_budget_for_the_check_while_typing_and_the_form(cast, worker, known):
    use_up_the_budget(cast.caseworker_a, left=1)
    assert check(worker, cast, UNKNOWN).status_code == 200  # the last one

    response = worker.post(CREATE, intake_post_data(cast.service_a, victim_document_number=UNKNOWN))

    assert response.status_code == 200
    assert too_many() in " ".join(response.context["form"].errors["condition"])


def test_changing_the_document_on_the_edit_form_is_a_check(cast, worker, known):
    case = CaseFactory(
        service=cast.service_a,
        condition=1,
        victim_document_type="DNI",
        victim_document_number="40000001",
    )
    edit = reverse("case_edit", args=[case.code])
    data = {
        **intake_post_data(cast.service_a, victim_document_number=KNOWN),
        "intake_date": case.intake_date.isoformat(),
        "version": case.version,
    }

    refused = worker.post(edit, data)

    assert refused.status_code == 200
    assert "casos anteriores" in " ".join(refused.context["form"].errors["condition"])
    entry = DocumentCheck.objects.get()
    assert (entry.via, entry.answer, entry.case) == ("edit", "earlier", case)


def test_past_the_budget_the_edit_form_refuses_a_new_document(cast, worker, known):
    case = CaseFactory(
        service=cast.service_a,
        condition=1,
        victim_document_type="DNI",
        victim_document_number="40000001",
    )
    use_up_the_budget(cast.caseworker_a)
    data = {
        **intake_post_data(cast.service_a, victim_document_number=UNKNOWN),
        "intake_date": case.intake_date.isoformat(),
        "version": case.version,
    }

    response = worker.post(reverse("case_edit", args=[case.code]), data)

    assert response.status_code == 200
    assert too_many() in " ".join(response.context["form"].errors["condition"])
    case.refresh_from_db()
    assert case.victim_document_number != UNKNOWN


def test_an_edit_that_keeps_the_document_asks_nothing_new(cast, worker):
    """Her own case's number was checked when it was written: saving the risk level of a new
    case is no look-up, and it is neither counted nor recorded."""
    case = CaseFactory(
        service=cast.service_a,
        condition=1,
        victim_document_type="DNI",
        victim_document_number=UNKNOWN,
    )
    use_up_the_budget(cast.caseworker_a)
    data = {
        **intake_post_data(cast.service_a, victim_document_number=UNKNOWN, risk_level="1"),
        "intake_date": case.intake_date.isoformat(),
        "version": case.version,
    }

    response = worker.post(reverse("case_edit", args=[case.code]), data)

    assert response.status_code == 302
    assert not DocumentCheck.objects.exists()


# A NUL byte is an answer, not a server error (SQLite and PostgreSQL) -----------------------


@pytest.mark.parametrize("field", ["document", "service", "submission_token", "intake_proof"])
def test_a_nul_byte_in_any_parameter_is_no_server_error(cast, worker, known, field):
    data = repeat_check_post_data(cast.caseworker_a, cast.service_a, KNOWN)
    data[field] = data[field][:3] + "\x00" + data[field][3:]

    response = worker.post(CHECK, data)

    if field == "document":
        assert response.status_code == 200
        assert response.json() == {"earlier": False, "message": ""}
        assert DocumentCheck.objects.get().answer == "none"
    else:
        assert response.status_code == 404


# Administrators read the checks ------------------------------------------------------------

CHANGELIST = reverse("admin:cases_documentcheck_changelist")


def test_administrators_list_the_checks_by_user_service_and_date(cast, worker, as_user, known):
    check(worker, cast, KNOWN)
    check(worker, cast, UNKNOWN)
    data_b = repeat_check_post_data(cast.caseworker_b, cast.service_b, UNKNOWN)
    assert as_user(cast.caseworker_b).post(CHECK, data_b).status_code == 200
    client = as_user(cast.admin)

    everything = client.get(CHANGELIST)
    by_user = client.get(CHANGELIST, {"user__id__exact": cast.caseworker_a.pk})
    by_service = client.get(CHANGELIST, {"service__id__exact": cast.service_b.pk})
    by_answer = client.get(CHANGELIST, {"answer": "earlier"})
    today = timezone.localdate()
    by_day = client.get(
        CHANGELIST, {"at__year": today.year, "at__month": today.month, "at__day": today.day}
    )

    assert everything.context["cl"].result_count == 3
    assert by_user.context["cl"].result_count == 2
    assert by_service.context["cl"].result_count == 1
    assert by_answer.context["cl"].result_count == 1
    assert by_day.context["cl"].result_count == 3
    page = everything.content.decode()
    assert KNOWN not in page and UNKNOWN not in page
    entry = DocumentCheck.objects.first()
    detail = client.get(reverse("admin:cases_documentcheck_change", args=[entry.pk]))
    assert detail.status_code == 200 and entry.document_digest in detail.content.decode()
    assert client.get(reverse("admin:cases_documentcheck_add")).status_code == 403


@pytest.mark.parametrize("member", ["caseworker_a", "national_manager", "outsider"])
def test_only_administrators_read_the_checks(cast, as_user, member):
    response = as_user(getattr(cast, member)).get(CHANGELIST)
    assert response.status_code == 302
