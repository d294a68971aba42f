import pytest

from tests.factories import CaseFactory

REPORTS = [
    "/reports/",
    "/reports/rural-coverage/",
    "/reports/shelters/",
    "/reports/network/",
    "/reports/cases/?by=sex",
    "/reports/activities/?by=type",
    "/reports/protection/",
    "/reports/open-data/?year=2023",
]


@pytest.mark.parametrize("url", REPORTS)
def test_anonymous_goes_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", REPORTS)
def test_an_outsider_gets_404(cast, as_user, url):
    assert as_user(cast.outsider).get(url).status_code == 404


@pytest.mark.parametrize(
    "member", ["caseworker_a", "regional_manager", "national_manager", "admin"]
)
@pytest.mark.parametrize("url", REPORTS)
def test_every_role_with_a_scope_reads_reports(cast, as_user, member, url):
    assert as_user(getattr(cast, member)).get(url).status_code == 200


def test_shelter_staff_read_reports_but_not_the_open_data_table(cast, as_user):
    client = as_user(cast.shelter_staff)
    assert client.get("/reports/shelters/").status_code == 200
    assert client.get("/reports/open-data/?year=2023").status_code == 404


def test_shelter_staff_see_no_cases(cast, as_user):
    CaseFactory(service=cast.service_a)
    data = (
        as_user(cast.shelter_staff)
        .get("/reports/cases/", {"by": "sex", "year": 2023, "format": "json"})
        .json()
    )
    assert data["total"] == 0


def test_reports_link_in_the_navigation_for_managers_only(cast, as_user):
    assert 'href="/reports/"' in as_user(cast.regional_manager).get("/").content.decode()
    assert 'href="/reports/"' not in as_user(cast.outsider).get("/").content.decode()


def test_the_admin_index_links_to_the_reports(cast, as_user):
    page = as_user(cast.admin).get("/admin/").content.decode()
    assert 'href="/reports/"' in page
    assert 'href="/reports/rural-coverage/"' in page
