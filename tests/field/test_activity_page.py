"""The field page carries the activity form, drawn from `ActivityForm`, for the device to fill."""

import json

from activities.forms import ActivityForm
from services.models import CareService
from tests.factories import AssignmentFactory, CareServiceFactory, CommunityFactory


def test_the_activity_form_is_the_online_form_with_her_services_first(cast, as_user):
    cem = CareServiceFactory(
        code="CEM-081201",
        kind=CareService.Kind.CEM,
        name="CEM Urcos",
        district=cast.service_a.district,
    )
    AssignmentFactory(user=cast.caseworker_a, role="caseworker", service=cem)

    response = as_user(cast.caseworker_a).get("/field/")
    form = response.context["activity_form"]

    html = response.content.decode()
    assert html.index('name="service"') < html.index('name="date"', html.index("tpl-activity"))
    assert set(form.fields) == {"service", *ActivityForm.base_fields}
    assert list(form.fields["service"].choices) == [
        ("CEM-081201", "CEM Urcos"),
        ("SAR-081201", "SAR Urcos"),
    ]
    for name in ("date", "type", "topic", "women"):
        assert form.fields[name].label == ActivityForm.base_fields[name].label
    assert not form.is_bound


def test_the_cached_page_holds_no_day_and_no_place(cast, as_user):
    """The page is cached for the whole trip: the date and the places are the device's to set
    (today, and the trip's geography for the service chosen)."""
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    html = as_user(cast.caseworker_a).get("/field/").content.decode()
    start = html.index('<template id="tpl-activity-form">')
    template = html[start : html.index("</template>", start)]

    assert 'name="date"' in template and 'name="date" value' not in template
    assert 'value="081201"' not in template and "Ccatca" not in template
    assert 'value="0812"' not in template
    assert 'data-testid="field-activity-save"' in template
    assert 'value="TALLER"' in template  # the types, until the package's replace them


def test_the_trip_caches_the_activity_script(cast, as_user):
    response = as_user(cast.caseworker_a).get("/field/")
    html = response.content.decode()
    static = html.split('data-static="', 1)[1].split('"', 1)[0].split()
    assert any(path.endswith("/js/field/activity.js") for path in static)
    assert json.loads(response.context["services_json"])[0]["code"] == "SAR-081201"
