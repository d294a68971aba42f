"""cases 0003 and 0004 add the rules' check constraints to a database that may hold rows an earlier
import stored against them: it turns those values into unknown first, so `migrate` succeeds."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cases", "0002_report_index")]
AFTER = [("cases", "0004_case_rules_as_constraints")]


@pytest.fixture
def back_to_the_latest():
    """Leave the database as every other test expects it: all migrations applied (going back
    to cases 0002 also unapplies what depends on later cases migrations)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migrating_repairs_what_the_rules_forbid_then_constrains(cast, back_to_the_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldCase = old_apps.get_model("cases", "Case")
    common = {
        "service_id": cast.service_a.pk,
        "intake_date": date(2023, 3, 15),
        "condition": 1,
        "entry_route": 1,
        "victim_age": 34,
        "district_id": cast.service_a.district_id,
        "aggressor_sex": 1,
        "violence_type": 2,
        "risk_level": 2,
    }
    bad = OldCase.objects.create(
        code="SAR-X-2023-00001",
        number="1",
        victim_sex=1,
        victim_pregnant=True,  # a pregnant man
        victim_peruvian=True,
        victim_country=12,  # a Peruvian with a foreign country
        relationship=1,
        partner_relationship=3,
        family_relationship=1,  # a family detail on a partner relationship
        victim_document_type="DNI",
        victim_document_number="412",  # a 3-digit DNI
        **common,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    new_apps = executor.loader.project_state(AFTER).apps
    case = new_apps.get_model("cases", "Case").objects.get(pk=bad.pk)
    assert case.victim_pregnant is None
    assert (case.victim_peruvian, case.victim_country) == (True, None)
    assert (case.partner_relationship, case.family_relationship) == (3, None)
    # The number is kept; what it is, a DNI it cannot be, becomes "other document".
    assert (case.victim_document_type, case.victim_document_number) == ("OTR", "412")
    constraints = {c.name for c in new_apps.get_model("cases", "Case")._meta.constraints}
    assert "case_pregnant_only_female" in constraints
