"""Case codes: readable, unique, and never handed out twice, even under concurrency."""

import re
import threading
from datetime import date

import pytest
from django.db import connection, connections

from cases import actions
from cases.models import Case
from tests.factories import CareServiceFactory, DistrictFactory


def intake_data(district, year=2024):
    return {
        "intake_date": date(year, 5, 1),
        "condition": 1,
        "entry_route": 1,
        "victim_name": "Persona",
        "victim_age": 30,
        "victim_sex": 0,
        "district": district,
        "aggressor_sex": 1,
        "relationship": 1,
        "partner_relationship": 1,
        "violence_type": 1,
        "risk_level": 1,
    }


def test_codes_read_service_year_and_sequence(cast):
    first = actions.open_case(
        service=cast.service_a, user=cast.caseworker_a, data=intake_data(cast.service_a.district)
    )
    second = actions.open_case(
        service=cast.service_a, user=cast.caseworker_a, data=intake_data(cast.service_a.district)
    )
    next_year = actions.open_case(
        service=cast.service_a,
        user=cast.caseworker_a,
        data=intake_data(cast.service_a.district, 2025),
    )
    assert [first.code, second.code, next_year.code] == [
        "SAR-081201-2024-00001",
        "SAR-081201-2024-00002",
        "SAR-081201-2025-00001",
    ]
    assert re.fullmatch(r"2024-\d{5}", first.number)


def test_each_service_counts_on_its_own(cast):
    a = actions.open_case(
        service=cast.service_a, user=None, data=intake_data(cast.service_a.district)
    )
    b = actions.open_case(
        service=cast.service_b, user=None, data=intake_data(cast.service_b.district)
    )
    assert a.code.endswith("-00001") and b.code.endswith("-00001")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_never_share_a_code():
    service = CareServiceFactory(code="SAR-CONC", district=DistrictFactory(code="081299"))
    threads, errors = 12, []
    per_thread = 5
    barrier = threading.Barrier(threads)

    def register():
        try:
            barrier.wait()
            for _ in range(per_thread):
                actions.open_case(service=service, user=None, data=intake_data(service.district))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=register) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    codes = list(Case.objects.filter(service=service).values_list("code", flat=True))
    assert len(codes) == threads * per_thread
    assert len(set(codes)) == len(codes)
    assert sorted(int(code[-5:]) for code in codes) == list(range(1, threads * per_thread + 1))
    assert connection.vendor == "postgresql"


def test_an_imported_number_that_looks_like_ours_is_skipped(cast):
    from tests.factories import CaseFactory

    CaseFactory(service=cast.service_a, code="IMPORTED-1", number="2024-00001")
    case = actions.open_case(
        service=cast.service_a, user=None, data=intake_data(cast.service_a.district)
    )
    assert case.number == "2024-00002"
    assert case.code == "SAR-081201-2024-00002"
