"""Actions, referrals, closing and reopening a case."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AuditEntry, Case, CaseAction, Referral
from tests.factories import CareServiceFactory


def url(name, case):
    return reverse(name, args=[case.code])


@pytest.fixture
def worker(cast, as_user):
    return as_user(cast.caseworker_a)


def today():
    return timezone.localdate().isoformat()


def test_an_action_is_recorded_and_the_case_is_in_care(cast, cases, worker):
    response = worker.post(
        url("case_add_action", cases.a),
        {"kind": "psychological", "date": today(), "notes": "Primera sesión"},
    )
    assert response.status_code == 302
    action = CaseAction.objects.get(case=cases.a)
    assert action.staff == cast.caseworker_a
    cases.a.refresh_from_db()
    assert cases.a.status == Case.Status.IN_CARE
    assert cases.a.version == 2
    assert AuditEntry.objects.filter(case=cases.a, action="add_action").exists()
    page = worker.get(url("case_detail", cases.a)).content.decode()
    assert "Sesión psicológica" in page and "Primera sesión" in page


@pytest.mark.parametrize(
    "date, message",
    [
        (lambda case: (timezone.localdate() + timedelta(days=1)).isoformat(), "futuro"),
        (lambda case: (case.intake_date - timedelta(days=1)).isoformat(), "anterior a la fecha"),
    ],
)
def test_an_action_date_must_be_within_the_case(cases, worker, date, message):
    response = worker.post(
        url("case_add_action", cases.a), {"kind": "legal", "date": date(cases.a), "notes": ""}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["date"])
    assert not CaseAction.objects.exists()


def test_a_referral_records_consent_and_marks_the_case_referred(cast, cases, worker):
    response = worker.post(
        url("case_refer", cases.a),
        {
            "destination": "cem",
            "destination_service": cast.service_b.pk,
            "date": today(),
            "consent": "1",
            "notes": "",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(case=cases.a)
    assert referral.consent is True
    assert referral.destination_service == cast.service_b
    cases.a.refresh_from_db()
    assert cases.a.status == Case.Status.REFERRED
    assert AuditEntry.objects.get(case=cases.a, action="refer").changes["consent"] is True


def test_consent_must_be_answered(cases, worker):
    response = worker.post(
        url("case_refer", cases.a), {"destination": "pnp", "date": today(), "consent": ""}
    )
    assert "consent" in response.context["form"].errors
    assert not Referral.objects.exists()


def test_a_referral_without_consent_needs_a_reason(cases, worker):
    response = worker.post(
        url("case_refer", cases.a),
        {"destination": "pnp", "date": today(), "consent": "0", "notes": ""},
    )
    assert "notes" in response.context["form"].errors
    response = worker.post(
        url("case_refer", cases.a),
        {
            "destination": "pnp",
            "date": today(),
            "consent": "0",
            "notes": "Riesgo severo: denuncia de oficio.",
        },
    )
    assert response.status_code == 302
    assert Referral.objects.get().consent is False


def test_a_cem_referral_needs_a_cem(cast, cases, worker):
    sar = CareServiceFactory(kind="SAR", district=cast.service_b.district)
    response = worker.post(
        url("case_refer", cases.a),
        {
            "destination": "cem",
            "destination_service": sar.pk,
            "date": today(),
            "consent": "1",
        },
    )
    assert "destination_service" in response.context["form"].errors


def test_close_then_reopen(cast, cases, worker):
    response = worker.post(
        url("case_close", cases.a), {"closed_on": today(), "reason": "completed"}
    )
    assert response.status_code == 302
    cases.a.refresh_from_db()
    assert cases.a.status == Case.Status.CLOSED
    assert cases.a.closed_on == timezone.localdate()

    # nothing new on a closed case
    refused = worker.post(
        url("case_add_action", cases.a), {"kind": "legal", "date": today(), "notes": ""}
    )
    assert refused.status_code == 302
    assert not CaseAction.objects.exists()

    worker.post(url("case_reopen", cases.a))
    cases.a.refresh_from_db()
    assert cases.a.status == Case.Status.IN_CARE
    assert cases.a.closed_on is None
    assert list(
        AuditEntry.objects.filter(case=cases.a)
        .exclude(action="view")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["close", "reopen"]


def test_reopen_is_a_post(cases, worker):
    assert worker.get(url("case_reopen", cases.a)).status_code == 405


def test_closing_needs_a_reason(cases, worker):
    response = worker.post(url("case_close", cases.a), {"closed_on": today(), "reason": ""})
    assert "reason" in response.context["form"].errors


def test_every_read_of_a_case_page_is_audited(cast, cases, as_user):
    as_user(cast.regional_manager).get(url("case_detail", cases.a))
    as_user(cast.caseworker_a).get(url("case_edit", cases.a))
    views = AuditEntry.objects.filter(case=cases.a, action="view")
    assert set(views.values_list("user__username", flat=True)) == {
        "regional_manager",
        "caseworker_a",
    }


def test_a_manager_reads_but_sees_no_write_buttons(cast, cases, as_user):
    page = as_user(cast.regional_manager).get(url("case_detail", cases.a)).content.decode()
    assert url("case_edit", cases.a) not in page
    assert url("case_add_action", cases.a) not in page
