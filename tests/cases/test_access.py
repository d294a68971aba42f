"""The whole cast against every case URL: out of scope is 404, never a hint."""

import pytest
from django.urls import reverse

from cases.models import AuditEntry

READ_URLS = ["case_detail"]
WRITE_URLS = ["case_edit", "case_add_action", "case_refer", "case_close"]


def url(name, case):
    return reverse(name, args=[case.code])


@pytest.mark.parametrize("name", READ_URLS + WRITE_URLS + ["case_reopen"])
def test_anonymous_is_sent_to_login(client, cases, name):
    response = client.get(url(name, cases.a))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "member, readable, writable",
    [
        ("caseworker_a", {"a"}, {"a"}),
        ("caseworker_b", {"b"}, {"b"}),
        ("regional_manager", {"a"}, set()),
        ("national_manager", {"a", "b"}, set()),
        ("admin", {"a", "b"}, set()),
        ("shelter_staff", set(), set()),
        ("outsider", set(), set()),
    ],
)
def test_each_member_reads_and_writes_only_her_scope(
    cast, cases, as_user, member, readable, writable
):
    client = as_user(getattr(cast, member))
    for key in ("a", "b"):
        case = getattr(cases, key)
        for name in READ_URLS:
            assert client.get(url(name, case)).status_code == (200 if key in readable else 404)
        for name in WRITE_URLS:
            assert client.get(url(name, case)).status_code == (200 if key in writable else 404)
        reopen = client.post(url("case_reopen", case))
        assert reopen.status_code == (302 if key in writable else 404)


@pytest.mark.parametrize(
    "member, listed",
    [
        ("caseworker_a", {"a"}),
        ("caseworker_b", {"b"}),
        ("regional_manager", {"a"}),
        ("national_manager", {"a", "b"}),
        ("admin", {"a", "b"}),
    ],
)
def test_list_shows_only_the_scope(cast, cases, as_user, member, listed):
    response = as_user(getattr(cast, member)).get(reverse("case_list"))
    codes = {case.code for case in response.context["page"].object_list}
    assert codes == {getattr(cases, key).code for key in listed}


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
def test_list_and_intake_are_404_without_a_case_role(cast, cases, as_user, member):
    client = as_user(getattr(cast, member))
    assert client.get(reverse("case_list")).status_code == 404
    assert client.get(reverse("case_create")).status_code == 404
    assert client.post(reverse("case_repeat_check"), {"document": "41234567"}).status_code == 404


@pytest.mark.parametrize("member", ["regional_manager", "national_manager", "admin"])
def test_readers_cannot_register_cases(cast, as_user, member):
    assert as_user(getattr(cast, member)).get(reverse("case_create")).status_code == 404


def test_out_of_scope_reads_leave_no_audit_entry(cast, cases, as_user):
    as_user(cast.caseworker_b).get(url("case_detail", cases.a))
    assert not AuditEntry.objects.filter(case=cases.a).exists()


def test_unknown_code_is_404(cast, as_user):
    assert as_user(cast.national_manager).get("/cases/NOPE-2023-00001/").status_code == 404


def test_case_pages_are_never_cached(cast, cases, as_user):
    client = as_user(cast.caseworker_a)
    for response in (
        client.get(reverse("case_list")),
        client.get(url("case_detail", cases.a)),
        client.get(url("case_edit", cases.a)),
    ):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_the_list_never_shows_names_or_documents(cast, cases, as_user):
    page = as_user(cast.caseworker_a).get(reverse("case_list")).content.decode()
    assert cases.a.code in page
    assert "Rosa" not in page
    assert "41234567" not in page
