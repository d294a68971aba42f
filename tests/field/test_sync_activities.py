"""POST /api/v1/sync/ with community activities registered offline: validated by the activity
form, stored once through `register_activity`, in her services only, audited as from the field."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import registry
from activities.models import Activity, AuditEntry
from services.models import RefusedAccess, Submission
from tests.activities.factories import activity_post_data
from tests.factories import CareServiceFactory, CommunityFactory, DistrictFactory

from .conftest import SYNC, item, post_json, sync

AT_LEAST_ONE = "Count the people who took part: at least one, in any of the groups."
NOT_IN_REGION = "The district is outside the region of the service."


@pytest.fixture
def client_a(cast, as_user):
    client = as_user(cast.caseworker_a)
    client.cookies["django_language"] = "en"  # the messages below are the English msgids
    return client


def activity_fields(service, **overrides) -> dict:
    """What the device sends: the activity form's fields, the service beside them."""
    data = activity_post_data(service, **overrides)
    del data["service"]
    return data


def activity_item(service, code: str | None = None, **overrides) -> dict:
    return item("activity", activity_fields(service, **overrides), service=code or service.code)


def activity_url(activity: Activity) -> str:
    return reverse("activity_detail", kwargs={"code": activity.code})


# Accepted, once ---------------------------------------------------------------------------------


def test_an_activity_item_is_registered_through_the_activity_form_and_audited(cast, client_a):
    community = CommunityFactory(district=cast.service_a.district, name="Ccatca")
    new = activity_item(cast.service_a, community=str(community.pk), type="VIGILANCIA_COMUNAL")

    (answer,) = sync(client_a, new)

    activity = Activity.objects.get()
    assert answer == {
        "id": new["id"],
        "status": "accepted",
        "result": {"code": activity.code, "url": activity_url(activity)},
    }
    assert activity.code.startswith(f"{cast.service_a.code}-")
    assert (activity.service, activity.created_by) == (cast.service_a, cast.caseworker_a)
    assert (activity.district, activity.community) == (cast.service_a.district, community)
    assert activity.type == "VIGILANCIA_COMUNAL"
    assert (activity.women, activity.men, activity.girls, activity.boys) == (14, 6, 3, 1)
    assert str(activity.duration_hours) == "2.50"
    assert activity.partners == "Centro de salud de Urcos"
    assert activity.client_key == uuid.UUID(new["id"])  # the item's id is the device key
    entry = AuditEntry.objects.get(activity=activity)
    assert (entry.action, entry.user) == ("create", cast.caseworker_a)
    assert entry.changes == {"captured_at": new["captured_at"], "via": "field"}
    assert entry.at > timezone.now() - timedelta(minutes=1)  # the arrival, not the capture


def test_the_same_activity_twice_in_one_request_is_stored_once(cast, client_a):
    new = activity_item(cast.service_a)

    first, second = sync(client_a, new, new)

    activity = Activity.objects.get()
    assert first == second
    assert first["result"]["code"] == activity.code
    assert Submission.objects.get().key == uuid.UUID(new["id"])
    assert AuditEntry.objects.filter(action="create").count() == 1


def test_the_same_activity_in_two_requests_answers_the_first_result(cast, client_a):
    """The answer was lost and the device sends it again: the first result, nothing stored,
    whatever the copy now carries (here, a count the rules would refuse)."""
    new = activity_item(cast.service_a)
    (first,) = sync(client_a, new)

    (second,) = sync(client_a, {**new, "data": {**new["data"], "women": "0", "men": "0"}})

    assert second == first
    assert Activity.objects.count() == 1


def test_two_activities_with_two_ids_are_two_activities(cast, client_a):
    answers = sync(client_a, activity_item(cast.service_a), activity_item(cast.service_a))
    assert [a["status"] for a in answers] == ["accepted", "accepted"]
    assert len({a["result"]["code"] for a in answers}) == 2
    assert Activity.objects.count() == 2


def test_the_province_may_be_left_out(cast, client_a):
    data = activity_fields(cast.service_a)
    del data["province"]
    (answer,) = sync(client_a, item("activity", data, service=cast.service_a.code))
    assert answer["status"] == "accepted"
    assert Activity.objects.get().district == cast.service_a.district


def test_a_new_community_is_added_to_the_district_once(cast, client_a):
    new = activity_item(cast.service_a, new_community="  Pampa   Alta ")

    sync(client_a, new)
    sync(client_a, new)

    activity = Activity.objects.get()
    assert activity.community.name == "Pampa Alta"
    assert cast.service_a.district.communities.count() == 1


def test_an_activity_shows_in_her_list_and_not_in_another_services(cast, client_a, as_user):
    (answer,) = sync(client_a, activity_item(cast.service_a, topic="Feria de la familia"))

    assert answer["result"]["code"] in client_a.get("/activities/").content.decode()
    other = as_user(cast.caseworker_b).get("/activities/").content.decode()
    assert answer["result"]["code"] not in other


def test_an_activity_and_a_case_travel_in_the_same_sync(cast, client_a, intake):
    answers = sync(
        client_a,
        item("case", intake, service=cast.service_a.code),
        activity_item(cast.service_a),
    )
    assert [a["status"] for a in answers] == ["accepted", "accepted"]
    assert answers[0]["result"]["url"].startswith("/cases/")
    assert answers[1]["result"]["url"].startswith("/activities/")


# Refused, with the problems by field ------------------------------------------------------------


def test_no_participant_is_refused_on_the_field_of_the_rule(cast, client_a):
    new = activity_item(cast.service_a, women="0", men="0", girls="0", boys="0")

    (answer,) = sync(client_a, new)

    assert answer == {"id": new["id"], "status": "refused", "errors": {"women": [AT_LEAST_ONE]}}
    assert not Activity.objects.exists()
    assert not Submission.objects.exists()  # corrected, the same id may be sent again


def test_a_refused_activity_corrected_is_accepted_with_the_same_id(cast, client_a):
    new = activity_item(cast.service_a, women="0", men="0", girls="0", boys="0")
    assert sync(client_a, new)[0]["status"] == "refused"

    (answer,) = sync(client_a, {**new, "data": {**new["data"], "girls": "9"}})

    assert answer["status"] == "accepted"
    assert Activity.objects.get().girls == 9


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "PICNIC"}, "type"),
        ({"topic": "   "}, "topic"),
        ({"date": "FUTURE"}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"duration_hours": "30"}, "duration_hours"),
        ({"women": "-3"}, "women"),
        ({"boys": "10001"}, "boys"),
        ({"district": "089999"}, "district"),
    ],
)
def test_each_rule_of_the_activity_form_is_answered_on_its_field(cast, client_a, overrides, field):
    if overrides.get("date") == "FUTURE":
        overrides = {"date": (timezone.localdate() + timedelta(days=2)).isoformat()}

    (answer,) = sync(client_a, activity_item(cast.service_a, **overrides))

    assert answer["status"] == "refused"
    assert list(answer["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in answer["errors"][field])
    assert not Activity.objects.exists()


def test_a_district_of_another_region_is_refused_as_online(cast, client_a):
    (answer,) = sync(
        client_a, activity_item(cast.service_a, province="", district=cast.service_b.district_id)
    )
    assert answer["errors"] == {"district": [NOT_IN_REGION]}


def test_a_community_of_another_district_is_refused(cast, client_a):
    elsewhere = DistrictFactory(code="081202", province=cast.service_a.district.province)
    community = CommunityFactory(district=elsewhere, name="Huaro")
    (answer,) = sync(client_a, activity_item(cast.service_a, community=str(community.pk)))
    assert list(answer["errors"]) == ["community"]


def test_a_new_community_already_in_the_district_is_refused(cast, client_a):
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    (answer,) = sync(client_a, activity_item(cast.service_a, new_community="ccatca"))
    assert list(answer["errors"]) == ["new_community"]
    assert not Activity.objects.exists()


def test_missing_required_fields_are_refused_field_by_field(cast, client_a):
    (answer,) = sync(client_a, item("activity", {"topic": "Taller"}, service="SAR-081201"))
    assert answer["status"] == "refused"
    assert {"date", "type", "district"} <= set(answer["errors"])


def test_one_refused_activity_never_undoes_another(cast, client_a):
    good, bad, good_too = (
        activity_item(cast.service_a),
        activity_item(cast.service_a, type="PICNIC"),
        activity_item(cast.service_a, topic="Otra"),
    )
    answers = sync(client_a, good, bad, good_too)
    assert [a["status"] for a in answers] == ["accepted", "refused", "accepted"]
    assert Activity.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[(name, "a\x00b") for name in ("topic", "partners", "new_community", "type", "date")],
        *[(name, "a\ud800b") for name in ("topic", "partners", "new_community", "type", "date")],
        *[(name, "08\x00") for name in ("province", "district", "community")],
        *[(name, "\ud800") for name in ("province", "district", "community")],
        *[(name, "9" * 30) for name in ("district", "community", "women", "duration_hours")],
    ],
)
def test_what_no_database_stores_is_refused_never_a_server_error(cast, client_a, field, value):
    (answer,) = sync(client_a, activity_item(cast.service_a, **{field: value}))
    assert answer["status"] == "refused"
    assert not Activity.objects.exists()


# Scope: her services only ---------------------------------------------------------------------


def test_another_services_caseworker_cannot_sync_into_it(cast, as_user):
    """caseworker_b (CEM Puno) names SAR Urcos: not found, recorded, nothing stored."""
    client_b = as_user(cast.caseworker_b)

    (answer,) = sync(client_b, activity_item(cast.service_a))

    assert answer == {"id": answer["id"], "status": "not_found"}
    assert not Activity.objects.exists()
    assert not Submission.objects.exists()
    refusal = RefusedAccess.objects.get()
    assert (refusal.user, refusal.object_code, refusal.reason, refusal.path) == (
        cast.caseworker_b,
        cast.service_a.code,
        "out_of_scope",
        SYNC,
    )


def test_an_unknown_service_answers_as_one_not_hers(cast, client_a):
    (answer,) = sync(client_a, activity_item(cast.service_a, code="SAR-999999"))
    assert answer["status"] == "not_found"
    assert RefusedAccess.objects.get().reason == "not_found"


def test_her_own_service_once_closed_takes_no_activity(cast, client_a):
    cast.service_a.closed_on = timezone.localdate() - timedelta(days=1)
    cast.service_a.save()
    (answer,) = sync(client_a, activity_item(cast.service_a))
    assert answer["status"] == "not_found"
    assert not Activity.objects.exists()


def test_a_service_that_runs_no_activities_is_not_found(cast, client_a):
    """A CAI where she would also work is no field service: activities are SAR's and CEM's."""
    from services.models import StaffAssignment
    from tests.factories import AssignmentFactory

    cai = CareServiceFactory(
        code="CAI-081201", kind="CAI", district=cast.service_a.district, name="CAI Urcos"
    )
    AssignmentFactory(user=cast.caseworker_a, role=StaffAssignment.Role.CASEWORKER, service=cai)
    (answer,) = sync(client_a, activity_item(cai))
    assert answer["status"] == "not_found"
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "member", ["outsider", "regional_manager", "national_manager", "shelter_staff", "admin"]
)
def test_anyone_but_a_caseworker_gets_404_for_the_whole_request(cast, as_user, member):
    client = as_user(getattr(cast, member))
    response = post_json(client, SYNC, {"items": [activity_item(cast.service_a)]})
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert not Activity.objects.exists()


def test_another_users_id_is_refused_and_reveals_nothing(cast, client_a, as_user):
    new = activity_item(cast.service_a)
    sync(client_a, new)
    client_b = as_user(cast.caseworker_b)

    (answer,) = sync(client_b, {**new, **activity_item(cast.service_b), "id": new["id"]})

    assert answer["status"] == "refused"
    assert list(answer["errors"]) == ["id"]
    assert "result" not in answer
    assert Activity.objects.count() == 1


# Shape --------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", [None, "", 12])
def test_an_activity_without_its_service_is_a_400(cast, client_a, service):
    new = activity_item(cast.service_a)
    new["service"] = service
    response = post_json(client_a, SYNC, {"items": [new]})
    assert response.status_code == 400
    assert "service" in response.json()["detail"]
    assert not Activity.objects.exists()


def test_the_type_list_of_the_package_is_the_registry(cast, client_a):
    """The offline form's types are the data file's codes: each is accepted by the sync."""
    (body,) = [post_json(client_a, "/api/v1/field/package/", {"cases": []}).json()]
    codes = [kind["code"] for kind in body["activity_types"]]
    assert codes == registry.codes()
    answers = sync(client_a, *[activity_item(cast.service_a, type=code) for code in codes])
    assert {a["status"] for a in answers} == {"accepted"}
