"""Query counts of the case pages stay the same whatever the number of cases."""

import pytest
from django.urls import reverse

from cases import actions
from tests.factories import CaseFactory


@pytest.mark.parametrize("extra", [0, 40])
def test_case_list_queries_are_constant(cast, cases, as_user, django_assert_num_queries, extra):
    for _ in range(extra):
        CaseFactory(service=cast.service_a)
    client = as_user(cast.caseworker_a)
    # session, user, assignments, the capped count and one page of cases with service, district
    # and community (the service and community filters are search fields: no query); then the
    # session's new expiry (savepoint, update, release)
    with django_assert_num_queries(9):
        client.get(reverse("case_list"))


@pytest.mark.parametrize("extra", [0, 15])
def test_case_page_queries_are_constant(cast, cases, as_user, django_assert_num_queries, extra):
    for _ in range(extra):
        actions.record_action(
            case=cases.a, user=cast.caseworker_a, kind="social", date=cases.a.intake_date
        )
        actions.refer_case(
            case=cases.a,
            user=cast.caseworker_a,
            destination="pnp",
            date=cases.a.intake_date,
            consent=True,
        )
    client = as_user(cast.caseworker_a)
    # session, user, assignments, the case with its places and author, the audit entry,
    # actions with staff, referrals with staff and service, complaints (their measures only when
    # there are complaints), follow-ups, the navigation's pending count; then the session's new
    # expiry (savepoint, update, release)
    with django_assert_num_queries(13):
        client.get(reverse("case_detail", args=[cases.a.code]))
