"""Each rule of an activity holds on every write path: the form, the action (which the import,
the demo and the field sync call) and the database itself when it is a rule within one row."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from activities import actions, registry, rules
from activities.models import Activity
from services.models import CareService, Community
from services.rules import RuleViolation
from tests.activities.factories import ActivityFactory, activity_data, activity_post_data
from tests.factories import CareServiceFactory, CommunityFactory, DistrictFactory

TOMORROW = timezone.localdate() + timedelta(days=1)
ZEROS = {"women": 0, "men": 0, "girls": 0, "boys": 0}


def other_district():
    return DistrictFactory(code="081301")  # region A, another province


def elsewhere():
    return DistrictFactory(code="150101")  # another region


# name: (form changes, action changes, database fields or None, field at fault)
# Values that are callables are made when the test runs (they need the database).
RULES = {
    "date_in_the_future": (
        {"date": TOMORROW.isoformat()},
        {"date": TOMORROW},
        None,  # "today" moves: a form and action rule only
        "date",
    ),
    "date_before_the_service_opened": (
        {"date": "2019-12-31"},
        {"date": date(2019, 12, 31)},
        None,  # a rule across two tables
        "date",
    ),
    "no_hours": (
        {"duration_hours": "0"},
        {"duration_hours": 0},
        {"duration_hours": 0},
        "duration_hours",
    ),
    "more_than_a_day": (
        {"duration_hours": "24.5"},
        {"duration_hours": 24.5},
        {"duration_hours": 25},
        "duration_hours",
    ),
    "unknown_type": ({"type": "BAILE"}, {"type": "BAILE"}, {"type": "BAILE"}, "type"),
    "blank_topic": ({"topic": "   "}, {"topic": "   "}, {"topic": ""}, "topic"),
    "nobody_took_part": (
        dict.fromkeys(ZEROS, "0"),
        ZEROS,
        ZEROS,
        "women",
    ),
    "too_many_in_a_group": ({"girls": "10001"}, {"girls": 10_001}, {"girls": 10_001}, "girls"),
    "community_of_another_district": (
        {"community": lambda: str(CommunityFactory(district=other_district()).pk)},
        {"community": lambda: CommunityFactory(district=other_district())},
        None,  # a rule across two tables
        "community",
    ),
    "district_outside_the_region": (
        {"province": "", "district": lambda: elsewhere().code},
        {"district": elsewhere},
        None,  # a rule across two tables
        "district",
    ),
}


def made(values):
    return {name: value() if callable(value) else value for name, value in values.items()}


def form_errors(response) -> dict:
    return response.context["form"].errors


@pytest.mark.parametrize("name", RULES)
def test_the_form_refuses(name, cast, as_user):
    changes, _action, _db, field = RULES[name]
    data = activity_post_data(cast.service_a, **made(changes))
    response = as_user(cast.caseworker_a).post(reverse("activity_create"), data)
    assert response.status_code == 200
    assert field in form_errors(response), form_errors(response)
    assert not Activity.objects.exists()


@pytest.mark.parametrize("name", RULES)
def test_the_action_refuses(name, cast):
    _form, changes, _db, field = RULES[name]
    with pytest.raises(RuleViolation) as refused:
        actions.register_activity(
            service=cast.service_a,
            user=cast.caseworker_a,
            data=activity_data(cast.service_a, **made(changes)),
        )
    assert field in [name for name, _message in refused.value.problems]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("name", [name for name, rule in RULES.items() if rule[2] is not None])
def test_the_database_refuses(name, cast):
    fields = RULES[name][2]
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(service=cast.service_a, **fields)


def test_the_valid_base_passes_every_path(cast, as_user):
    """The tables above fail for their rule only: the same data without the change passes."""
    response = as_user(cast.caseworker_a).post(
        reverse("activity_create"), activity_post_data(cast.service_a)
    )
    assert response.status_code == 302
    actions.register_activity(
        service=cast.service_a, user=cast.caseworker_a, data=activity_data(cast.service_a)
    )
    ActivityFactory(service=cast.service_a)
    assert Activity.objects.count() == 3


def test_the_edit_is_held_to_the_same_rules(cast, activities):
    with pytest.raises(RuleViolation) as refused:
        actions.update_activity(
            activity=activities.a,
            user=cast.caseworker_a,
            data={"women": 0, "men": 0, "girls": 0, "boys": 0},
            expected_version=1,
        )
    assert refused.value.problems[0][0] == "women"
    activities.a.refresh_from_db()
    assert activities.a.participants == 22 and activities.a.version == 1


def test_an_edit_of_some_fields_is_checked_as_the_record_it_leaves(cast, activities):
    """Zero women is fine while others took part; the rule reads the whole record."""
    actions.update_activity(
        activity=activities.a, user=cast.caseworker_a, data={"women": 0}, expected_version=1
    )
    with pytest.raises(RuleViolation):
        actions.update_activity(
            activity=activities.a,
            user=cast.caseworker_a,
            data={"men": 0, "girls": 0, "boys": 0},
            expected_version=2,
        )


def test_only_a_sar_or_a_cem_registers_activities(cast):
    cai = CareServiceFactory(kind=CareService.Kind.CAI, district=cast.service_a.district)
    with pytest.raises(RuleViolation) as refused:
        actions.register_activity(service=cai, user=None, data=activity_data(cai))
    assert refused.value.problems[0][0] == "service"


def test_nothing_is_dated_after_the_service_closed(cast):
    cast.service_a.closed_on = date(2024, 6, 30)
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        actions.register_activity(
            service=cast.service_a,
            user=None,
            data=activity_data(cast.service_a, date=date(2024, 7, 1)),
        )
    assert refused.value.problems == [
        ("date", "The activity is dated after the service closed (30/06/2024).")
    ]


def test_choosing_a_community_and_adding_one_is_refused(cast, as_user):
    community = CommunityFactory(district=cast.service_a.district)
    data = activity_post_data(cast.service_a, community=str(community.pk), new_community="Nueva")
    response = as_user(cast.caseworker_a).post(reverse("activity_create"), data)
    assert "new_community" in form_errors(response)
    with pytest.raises(RuleViolation):
        actions.register_activity(
            service=cast.service_a,
            user=None,
            data=activity_data(cast.service_a, community=community),
            new_community="Nueva",
        )
    assert not Activity.objects.exists()


def test_the_action_takes_the_community_the_district_already_has(cast):
    """As for an intake (services.actions.get_or_add_community): a colleague who added the
    same community a moment earlier wins, and the activity goes to her row, never a twin. The
    form still asks to choose it from the list (tests of the form)."""
    existing = CommunityFactory(district=cast.service_a.district, name="Ccatca")

    activity = actions.register_activity(
        service=cast.service_a,
        user=None,
        data=activity_data(cast.service_a),
        new_community="CCATCA",
    )

    assert activity.community == existing
    assert Community.objects.filter(district=cast.service_a.district).count() == 1


def test_required_values_are_asked_for_by_the_action(cast):
    with pytest.raises(RuleViolation) as refused:
        actions.register_activity(
            service=cast.service_a,
            user=None,
            data=activity_data(cast.service_a, topic=None, type=None),
        )
    assert {field for field, _ in refused.value.problems} == {"topic", "type"}


def test_the_rules_tidy_what_they_store(cast):
    values = {
        "topic": "  Ruta   de atención ",
        "partners": " DEMUNA  y  PNP ",
        "type": " taller ",
        "duration_hours": "1.5",
    }
    assert rules.clean_activity(values) == []
    assert values == {
        "topic": "Ruta de atención",
        "partners": "DEMUNA y PNP",
        "type": "TALLER",
        "duration_hours": Decimal("1.5"),
    }


def test_the_rules_check_only_what_they_are_given():
    assert rules.clean_activity({}) == []
    assert rules.clean_activity({"women": 0}) == []  # the others are not known here


@pytest.mark.parametrize("reason", ["", "   ", "x" * (rules.REASON_LENGTH + 1)])
def test_a_cancel_needs_a_reason(cast, activities, reason):
    with pytest.raises(RuleViolation) as refused:
        actions.cancel_activity(activity=activities.a, user=cast.caseworker_a, reason=reason)
    assert refused.value.problems[0][0] == "reason"
    activities.a.refresh_from_db()
    assert not activities.a.is_cancelled


def test_the_database_refuses_a_cancel_without_reason(cast, activities):
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activities.a.pk).update(cancelled_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activities.a.pk).update(cancel_reason="Error")


def test_the_database_refuses_a_blank_external_id_and_a_repeated_one(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(service=cast.service_a, external_id="")
    ActivityFactory(service=cast.service_a, external_id="T-1")
    ActivityFactory(service=cast.service_b, external_id="T-1")  # another service's own id
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(service=cast.service_a, external_id="T-1")


def test_every_type_of_the_data_file_is_accepted(cast):
    for code in registry.codes():
        ActivityFactory(service=cast.service_a, type=code)
    assert Activity.objects.count() == len(registry.codes()) == 7
