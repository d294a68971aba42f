"""Refused accesses leave a trace, and every audit entry carries the client's address.

The answer to a refused request stays the same 404 whether the case, shelter or service is
outside the user's scope or never existed; only the trail (for administrators) tells them apart.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AuditEntry
from services.audit import record_refusal
from services.models import RefusedAccess
from shelters.models import ShelterLog
from tests.factories import CaseFactory, ShelterFactory, UserFactory, intake_post_data

ADDRESS = "203.0.113.7"
Reason = RefusedAccess.Reason


def from_address(client, address=ADDRESS):
    """Let every request of `client` come from `address` (what the server sees)."""
    client.defaults["REMOTE_ADDR"] = address
    return client


def page_of(response, code: str) -> str:
    """The page without what differs by design: its CSRF tokens (masked afresh on every page)
    and the address asked for (the language switch returns to it)."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return body.replace(code, "CODE")


@pytest.fixture
def case_b(cast):
    return CaseFactory(service=cast.service_b)


@pytest.fixture
def shelter_b(cast):
    return ShelterFactory(code="HRT-210101", district=cast.service_b.district, capacity=6)


# What is recorded --------------------------------------------------------------------------


def test_a_case_outside_her_scope_is_recorded_as_refused_with_her_address(cast, as_user, case_b):
    client = from_address(as_user(cast.caseworker_a))

    response = client.get(reverse("case_detail", args=[case_b.code]))

    assert response.status_code == 404
    refusal = RefusedAccess.objects.get()
    assert refusal.user == cast.caseworker_a
    assert refusal.method == "GET"
    assert refusal.path == f"/cases/{case_b.code}/"
    assert refusal.object_code == case_b.code
    assert refusal.reason == Reason.OUT_OF_SCOPE
    assert refusal.ip_address == ADDRESS
    assert refusal.at > timezone.now() - timedelta(minutes=1)


def test_a_case_that_never_existed_is_recorded_as_such(cast, as_user):
    client = as_user(cast.caseworker_a)

    assert client.get(reverse("case_edit", args=["SAR-081201-2024-99999"])).status_code == 404

    refusal = RefusedAccess.objects.get()
    assert (refusal.reason, refusal.path) == (
        Reason.NOT_FOUND,
        "/cases/SAR-081201-2024-99999/edit/",
    )


def test_a_case_she_may_read_but_not_write_is_a_refused_edit(cast, as_user):
    """A regional manager reads her region's cases and writes none: the edit page refuses."""
    case_a = CaseFactory(service=cast.service_a)
    client = as_user(cast.regional_manager)

    assert client.get(reverse("case_detail", args=[case_a.code])).status_code == 200
    assert not RefusedAccess.objects.exists()
    assert client.get(reverse("case_edit", args=[case_a.code])).status_code == 404
    assert RefusedAccess.objects.get().reason == Reason.ROLE  # not for a manager at all


def test_a_page_not_for_her_role_is_recorded(cast, as_user):
    assert as_user(cast.outsider).get(reverse("case_list")).status_code == 404

    refusal = RefusedAccess.objects.get()
    assert (refusal.user, refusal.reason, refusal.path) == (cast.outsider, Reason.ROLE, "/cases/")


def test_shelters_outside_her_region_and_unknown_ones_are_recorded(cast, as_user, shelter_b):
    client = from_address(as_user(cast.shelter_staff), "2001:db8::5")

    assert client.get(reverse("shelter_detail", args=[shelter_b.code])).status_code == 404
    assert client.get(reverse("shelter_edit", args=["HRT-999999"])).status_code == 404

    missing, outside = RefusedAccess.objects.order_by("-id")
    assert (outside.reason, outside.object_code) == (Reason.OUT_OF_SCOPE, shelter_b.code)
    assert (missing.reason, missing.object_code) == (Reason.NOT_FOUND, "HRT-999999")
    assert outside.ip_address == missing.ip_address == "2001:db8::5"


def test_a_service_outside_her_scope_is_recorded(cast, as_user):
    client = as_user(cast.caseworker_a)

    assert client.get(reverse("service_detail", args=[cast.service_b.code])).status_code == 404

    assert RefusedAccess.objects.get().reason == Reason.OUT_OF_SCOPE


def test_the_query_string_is_never_recorded(cast, as_user, case_b):
    """A query string may carry a document number: only the path is kept."""
    client = as_user(cast.caseworker_a)

    client.get(reverse("case_detail", args=[case_b.code]), {"document": "47110815"})
    client.get(reverse("case_create"), {"service": "CEM-210101", "q": "47110815"})

    assert RefusedAccess.objects.count() == 2
    for refusal in RefusedAccess.objects.values():
        assert "47110815" not in str(refusal)
        assert "?" not in refusal["path"]


def test_allowed_pages_record_no_refusal(cast, as_user):
    case_a = CaseFactory(service=cast.service_a)
    client = as_user(cast.caseworker_a)
    for url in (reverse("case_list"), reverse("case_detail", args=[case_a.code])):
        assert client.get(url).status_code == 200
    assert not RefusedAccess.objects.exists()


def test_behind_a_proxy_the_address_is_the_one_the_nearest_proxy_saw(
    cast, as_user, case_b, settings
):
    """Behind a proxy the trail records the address the lockout reads (the N-th entry from the
    right of X-Forwarded-For), the whole IPv6 address, not the /64 the lockout counts by."""
    settings.TRUSTED_PROXY_COUNT = 1
    client = from_address(as_user(cast.caseworker_a), "10.0.0.1")

    client.get(
        reverse("case_detail", args=[case_b.code]),
        HTTP_X_FORWARDED_FOR="203.0.113.9, 2001:db8:1:2::77",
    )

    assert RefusedAccess.objects.get().ip_address == "2001:db8:1:2::77"


def test_a_nul_or_control_character_in_a_path_is_stored_safely(cast):
    """PostgreSQL stores no NUL byte in text: the trail replaces it rather than failing."""
    refusal = record_refusal(user=cast.outsider, path="/cases/a\x00b/\n", method="GET\x00")
    refusal.refresh_from_db()
    assert "\x00" not in refusal.path and "\n" not in refusal.path
    assert refusal.path.startswith("/cases/a") and "\x00" not in refusal.method


# The answer tells nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "member, route, existing, unknown",
    [
        ("caseworker_a", "case_detail", "case", "SAR-081201-2024-99999"),
        ("caseworker_a", "case_edit", "case", "SAR-081201-2024-99999"),
        ("shelter_staff", "shelter_detail", "shelter", "HRT-999999"),
        ("caseworker_a", "service_detail", "service", "CEM-999999"),
    ],
)
def test_out_of_scope_and_never_existed_answer_the_same_404(
    cast, as_user, case_b, shelter_b, member, route, existing, unknown
):
    code = {"case": case_b.code, "shelter": shelter_b.code, "service": cast.service_b.code}
    client = as_user(getattr(cast, member))

    outside = client.get(reverse(route, args=[code[existing]]))
    missing = client.get(reverse(route, args=[unknown]))

    assert outside.status_code == missing.status_code == 404
    assert page_of(outside, code[existing]) == page_of(missing, unknown)
    assert sorted(outside.headers) == sorted(missing.headers)
    reasons = set(RefusedAccess.objects.values_list("reason", flat=True))
    assert reasons == {Reason.OUT_OF_SCOPE, Reason.NOT_FOUND}


# Addresses on the existing audit trails ----------------------------------------------------


def test_case_audit_entries_carry_the_address(cast, as_user):
    client = from_address(as_user(cast.caseworker_a))

    created = client.post(reverse("case_create"), intake_post_data(cast.service_a))
    client.get(created["Location"])

    entries = AuditEntry.objects.order_by("id")
    assert [entry.action for entry in entries] == ["create", "view"]
    assert {entry.ip_address for entry in entries} == {ADDRESS}


def test_an_administrator_reading_a_case_in_the_admin_is_audited_with_her_address(
    cast, as_user, case_b
):
    client = from_address(as_user(cast.admin), "198.51.100.9")

    url = reverse("admin:cases_case_change", args=[case_b.pk])
    assert client.get(url).status_code == 200

    assert AuditEntry.objects.get(case=case_b, action="view").ip_address == "198.51.100.9"


def test_shelter_log_entries_carry_the_address(cast, as_user):
    shelter = ShelterFactory(code="HRT-081201", district=cast.service_a.district, capacity=10)
    client = from_address(as_user(cast.shelter_staff))

    response = client.post(
        reverse("shelter_edit", args=[shelter.code]),
        {"name": "Hogar Nuevo", "address": shelter.address, "capacity": 12, "closed_on": ""},
    )

    assert response.status_code == 302
    assert ShelterLog.objects.get(action="edit").ip_address == ADDRESS


def test_entries_written_outside_a_request_have_no_address(cast):
    from cases.actions import log_case_view

    case = CaseFactory(service=cast.service_a)
    log_case_view(case=case, user=cast.caseworker_a)
    assert AuditEntry.objects.get().ip_address is None


# Administrators read the trail -------------------------------------------------------------

CHANGELIST = reverse("admin:services_refusedaccess_changelist")


def refusals(user, count, *, hours_ago=0):
    made = [
        record_refusal(user=user, path=f"/cases/SAR-081201-2024-{n:05d}/", method="GET")
        for n in range(count)
    ]
    if hours_ago:
        RefusedAccess.objects.filter(pk__in=[r.pk for r in made]).update(
            at=timezone.now() - timedelta(hours=hours_ago)
        )
    return made


def listed_users(response) -> list[str]:
    return sorted(entry.user.username for entry in response.context["cl"].result_list)


def test_administrators_list_users_refused_again_and_again(cast, as_user):
    prober = UserFactory(username="prober")
    refusals(prober, 6)
    refusals(cast.caseworker_a, 2)
    refusals(cast.caseworker_b, 9, hours_ago=30)  # many, but not in the last 24 hours
    client = as_user(cast.admin)

    everything = client.get(CHANGELIST)
    repeated = client.get(CHANGELIST, {"repeated": "5"})

    assert everything.status_code == repeated.status_code == 200
    assert len(everything.context["cl"].result_list) == 17
    assert listed_users(repeated) == ["prober"] * 6
    assert client.get(CHANGELIST, {"repeated": "20"}).context["cl"].result_count == 0
    page = repeated.content.decode()
    assert "/cases/SAR-081201-2024-00000/" in page
    assert 'field-refusals_last_day">6<' in page  # her refusals in the last 24 hours


def test_administrators_filter_the_trail_by_user_reason_and_date(cast, as_user):
    refusals(cast.caseworker_a, 2)
    refusals(cast.outsider, 1)
    client = as_user(cast.admin)

    by_user = client.get(CHANGELIST, {"user__id__exact": cast.outsider.pk})
    by_reason = client.get(CHANGELIST, {"reason": "role"})
    today = timezone.localdate()
    by_day = client.get(
        CHANGELIST, {"at__year": today.year, "at__month": today.month, "at__day": today.day}
    )

    assert listed_users(by_user) == ["outsider"]
    assert by_reason.context["cl"].result_count == 3
    assert by_day.context["cl"].result_count == 3
    entry = RefusedAccess.objects.first()
    assert (
        client.get(reverse("admin:services_refusedaccess_change", args=[entry.pk])).status_code
        == 200
    )


@pytest.mark.parametrize("member", ["caseworker_a", "national_manager", "outsider"])
def test_only_administrators_read_the_trail(cast, as_user, member):
    response = as_user(getattr(cast, member)).get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_trail_cannot_be_changed_in_the_admin(cast, as_user):
    (entry,) = refusals(cast.outsider, 1)
    client = as_user(cast.admin)
    assert client.get(reverse("admin:services_refusedaccess_add")).status_code == 403
    delete = reverse("admin:services_refusedaccess_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert RefusedAccess.objects.filter(pk=entry.pk).exists()
