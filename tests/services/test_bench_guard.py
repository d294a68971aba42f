"""The benchmarks write to what they measure (a session, the national demo network): they run
only on a database named for benchmarks, and their baseline page shows only what the national
manager it is compared with may see."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("command", ["bench_case_list", "bench_page_sizes"])
def test_a_benchmark_refuses_a_database_not_named_for_benchmarks(command):
    with pytest.raises(CommandError, match="not a benchmark database"):
        call_command(command)


@override_settings(ROOT_URLCONF="config.bench_urls")
def test_the_bare_baseline_page_is_the_national_managers_only(cast, as_user):
    assert as_user(cast.caseworker_a).get("/bench/bare-cases/").status_code == 404
    assert as_user(cast.regional_manager).get("/bench/bare-cases/").status_code == 404
    assert as_user(cast.national_manager).get("/bench/bare-cases/").status_code == 200
