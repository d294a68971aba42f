"""Query counts per report stay the same as data grows."""

from datetime import date

import pytest

from tests.activities.factories import ActivityFactory
from tests.factories import CareServiceFactory, CaseFactory, ShelterFactory, StayFactory

# session, user, assignments, then the report's own queries; then the session's new expiry
# (savepoint, update, release)
BASE = 3 + 3


def grow(cast, n):
    for _ in range(n):
        service = CareServiceFactory(kind="SAR", district=cast.service_a.district)
        CaseFactory(service=service)
        ActivityFactory(service=service, date=date(2023, 5, 1))
        StayFactory(shelter=ShelterFactory(district=cast.service_a.district))


@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize(
    "url, own",
    [
        # services active; the cases' total and places, the activities' total and places (each
        # from the rollup)
        ("/reports/rural-coverage/?year=2023&format=json", 5),
        # the stays of the period
        ("/reports/shelters/?year=2023&format=json", 1),
        # services opened, services active, shelters opened, shelters active
        ("/reports/network/?year=2023&format=json", 4),
        # the grouped counts
        ("/reports/cases/?by=age_group&year=2023&format=json", 1),
        # the grouped counts, the names of the services
        ("/reports/cases/?by=service&year=2023&format=json", 2),
        # the grouped activities (with their participants), and the names of the services
        ("/reports/activities/?by=type&year=2023&format=json", 1),
        ("/reports/activities/?by=service&year=2023&format=json", 2),
        # per service from the rollup, the services' regions, the regions' names
        ("/reports/activities/?by=region&year=2023&format=csv", 3),
        # the same in the files
        ("/reports/cases/?by=service&year=2023&format=xlsx", 2),
        ("/reports/network/?year=2023&format=csv", 4),
        # the page: the report's queries, then the regions of the region filter
        ("/reports/network/?year=2023", 4 + 1 + 1),
        # a region and a service to filter by: each checked to be in the scope first
        ("/reports/network/?year=2023&format=json&region=08&service=SAR-081201", 2 + 4),
    ],
)
def test_report_queries_are_constant(cast, as_user, django_assert_num_queries, n, url, own):
    grow(cast, n)
    client = as_user(cast.national_manager)
    with django_assert_num_queries(BASE + own):
        client.get(url)
