"""Every form that creates something on a case stores once, however many times it is sent."""

import time
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from cases import actions as case_actions
from cases.models import AuditEntry, Case, CaseAction, Referral
from services import submissions
from services.models import Submission

ALREADY_SENT = "This form had already been sent: nothing was stored twice."


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def send_twice(client, url, data):
    """Post the same form (same key) twice; return both answers, the second followed."""
    data = {**data, "submission_token": str(uuid.uuid4())}
    return client.post(url, data), client.post(url, data, follow=True)


def assert_same_result(first, second, location):
    assert first.status_code == 302
    assert first["Location"] == location
    assert second.redirect_chain == [(location, 302)]
    assert ALREADY_SENT in said(second)


# The intake ---------------------------------------------------------------------------------


def test_an_intake_sent_twice_stores_one_case_and_shows_it_both_times(cast, as_user, intake):
    # The repeat would fail validation now (the document has an earlier case: the first one),
    # which is why a repeat is recognised before the form is validated.
    first, second = send_twice(as_user(cast.caseworker_a), reverse("case_create"), intake)

    case = Case.objects.get()
    assert_same_result(first, second, reverse("case_detail", args=[case.code]))
    assert AuditEntry.objects.filter(action="create").count() == 1
    assert Submission.objects.get().result_url == reverse("case_detail", args=[case.code])


def test_two_intakes_with_two_keys_are_two_cases(cast, as_user, intake):
    client = as_user(cast.caseworker_a)
    data = {**intake, "victim_document_type": "", "victim_document_number": ""}
    for _ in range(2):
        response = client.post(
            reverse("case_create"), {**data, "submission_token": str(uuid.uuid4())}
        )
        assert response.status_code == 302
    assert Case.objects.count() == 2


def test_an_intake_with_another_users_key_answers_400_and_stores_nothing(cast, as_user, intake):
    key = uuid.uuid4()
    Submission.objects.create(key=key, user=cast.caseworker_b, result_url="/cases/SECRET/")

    response = as_user(cast.caseworker_a).post(
        reverse("case_create"), {**intake, "submission_token": str(key)}
    )

    assert response.status_code == 400
    assert "SECRET" not in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("token", ["doble-clic", "", "0" * 40])
def test_an_intake_with_a_malformed_key_answers_400_and_stores_nothing(
    cast, as_user, intake, token
):
    response = as_user(cast.caseworker_a).post(
        reverse("case_create"), {**intake, "submission_token": token}
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_an_intake_without_a_key_still_registers(cast, as_user, intake):
    response = as_user(cast.caseworker_a).post(reverse("case_create"), intake)
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert not Submission.objects.exists()


def test_an_invalid_intake_keeps_nothing_and_offers_a_new_key(cast, as_user, intake):
    client = as_user(cast.caseworker_a)
    key = str(uuid.uuid4())
    response = client.post(
        reverse("case_create"), {**intake, "victim_age": "", "submission_token": key}
    )
    assert response.status_code == 200
    assert not Submission.objects.exists()
    page = response.content.decode()
    assert 'name="submission_token"' in page and key not in page
    # Corrected and sent with the same key, it is stored.
    response = client.post(reverse("case_create"), {**intake, "submission_token": key})
    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_the_intake_form_carries_a_key_and_the_saving_script(cast, as_user):
    page = as_user(cast.caseworker_a).get(reverse("case_create")).content.decode()
    assert page.count('name="submission_token"') == 1
    assert "js/once.js" in page


# Follow-up forms ----------------------------------------------------------------------------


def url(name, case):
    return reverse(name, args=[case.code])


def today():
    return timezone.localdate().isoformat()


def test_an_action_sent_twice_is_recorded_once(cast, cases, as_user):
    first, second = send_twice(
        as_user(cast.caseworker_a),
        url("case_add_action", cases.a),
        {"kind": "psychological", "date": today(), "notes": "Primera sesión"},
    )
    assert_same_result(first, second, url("case_detail", cases.a))
    assert CaseAction.objects.filter(case=cases.a).count() == 1


def test_a_referral_sent_twice_is_recorded_once(cast, cases, as_user):
    first, second = send_twice(
        as_user(cast.caseworker_a),
        url("case_refer", cases.a),
        {
            "destination": "cem",
            "destination_service": cast.service_b.pk,
            "date": today(),
            "consent": "1",
        },
    )
    assert_same_result(first, second, url("case_detail", cases.a))
    assert Referral.objects.filter(case=cases.a).count() == 1


def test_a_closing_sent_twice_closes_once_without_a_refusal(cast, cases, as_user):
    first, second = send_twice(
        as_user(cast.caseworker_a),
        url("case_close", cases.a),
        {"closed_on": today(), "reason": "completed"},
    )
    assert_same_result(first, second, url("case_detail", cases.a))
    # Not "this case is closed": the second click is the same closing, already done.
    assert "This case is closed. Reopen it to record anything new." not in said(second)
    assert AuditEntry.objects.filter(case=cases.a, action="close").count() == 1


def test_a_reopening_sent_twice_reopens_once(cast, cases, as_user):
    client = as_user(cast.caseworker_a)
    client.post(url("case_close", cases.a), {"closed_on": today(), "reason": "completed"})
    page = client.get(url("case_detail", cases.a)).content.decode()
    assert 'name="submission_token"' in page and "js/once.js" in page

    first, second = send_twice(client, url("case_reopen", cases.a), {})

    assert_same_result(first, second, url("case_detail", cases.a))
    assert AuditEntry.objects.filter(case=cases.a, action="reopen").count() == 1


@pytest.mark.parametrize("name", ["case_add_action", "case_refer", "case_close"])
def test_each_follow_up_form_carries_a_key_and_the_saving_script(cast, cases, as_user, name):
    page = as_user(cast.caseworker_a).get(url(name, cases.a)).content.decode()
    assert page.count('name="submission_token"') == 1
    assert "js/once.js" in page


def test_a_repeat_refused_by_validation_after_the_first_committed_shows_the_first(
    cast, as_user, intake, monkeypatch
):
    """The repeat passed the check just before the first committed, then failed validation
    (its document has an earlier case now: the first one): it answers the first result."""
    client = as_user(cast.caseworker_a)
    data = {**intake, "submission_token": str(uuid.uuid4())}
    first = client.post(reverse("case_create"), data)
    original, checks = submissions.repeated_submission, []

    def too_early_once(request):
        checks.append(request)
        return None if len(checks) == 1 else original(request)

    monkeypatch.setattr(submissions, "repeated_submission", too_early_once)
    second = client.post(reverse("case_create"), data)

    assert len(checks) == 2
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Case.objects.count() == 1


# PostgreSQL: two requests at the same moment ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_intake_sent_twice_at_once_stores_one_case(cast, intake, monkeypatch):
    """Both requests pass the check before either commits; the unique key makes the second
    wait for the first, then answer its result."""
    from django.test import Client

    from tests.shelters.test_concurrency import run_at_once

    original = case_actions.open_case

    def slow_open_case(**kwargs):
        time.sleep(0.5)  # the other request reaches its own check meanwhile
        return original(**kwargs)

    monkeypatch.setattr(case_actions, "open_case", slow_open_case)
    data = {**intake, "submission_token": str(uuid.uuid4())}

    def send(index):
        client = Client()
        client.force_login(cast.caseworker_a)
        response = client.post(reverse("case_create"), data)
        return response.status_code, response["Location"]

    answers, errors = run_at_once(2, send)

    assert connection.vendor == "postgresql"
    assert errors == []
    case = Case.objects.get()
    assert answers == [(302, reverse("case_detail", args=[case.code]))] * 2
    assert Submission.objects.count() == 1
    assert AuditEntry.objects.filter(action="create").count() == 1
