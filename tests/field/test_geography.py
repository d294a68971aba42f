"""GET /api/v1/field/geography/: the places of her services' regions, as /geo/ offers them."""

from tests.factories import CommunityFactory, DistrictFactory, ProvinceFactory

GEOGRAPHY = "/api/v1/field/geography/"


def test_the_places_of_her_region_keyed_by_parent(cast, as_user):
    urcos = cast.service_a.district
    ccollpa = CommunityFactory(district=urcos, name="Ccollpa")
    andahuaylillas = DistrictFactory(code="081202", name="Andahuaylillas", province=urcos.province)
    calca = DistrictFactory(code="080401", name="Calca", province=ProvinceFactory(code="0804"))
    CommunityFactory(district=cast.service_b.district, name="Chimu")  # region B: not hers

    response = as_user(cast.caseworker_a).get(GEOGRAPHY)

    places = response.json()
    assert set(places["provinces"]) == {"08"}
    assert [p["value"] for p in places["provinces"]["08"]] == ["0804", "0812"]
    assert places["districts"] == {
        "0804": [{"value": "080401", "label": "Calca"}],
        "0812": [
            {"value": "081201", "label": "Urcos"},
            {"value": "081202", "label": "Andahuaylillas"},
        ],
    }
    assert places["communities"] == {"081201": [{"value": str(ccollpa.pk), "label": "Ccollpa"}]}
    assert "Chimu" not in response.content.decode()
    assert andahuaylillas.name in response.content.decode()
    assert calca.province.region_id == "08"


def test_the_same_options_as_the_geo_endpoints(cast, as_user):
    CommunityFactory(district=cast.service_a.district, name="Ccollpa")
    CommunityFactory(district=cast.service_a.district, name="Anccaca")
    client = as_user(cast.caseworker_a)
    places = client.get(GEOGRAPHY).json()

    for kind, parent in (("provinces", "08"), ("districts", "0812"), ("communities", "081201")):
        online = client.get(f"/geo/{kind}/?parent={parent}").json()["options"]
        as_strings = [{"value": str(o["value"]), "label": o["label"]} for o in online]
        assert places[kind][parent] == as_strings, kind


def test_a_covered_district_in_another_region_brings_its_region(cast, as_user):
    cast.service_a.covered_districts.add(cast.service_b.district)
    places = as_user(cast.caseworker_a).get(GEOGRAPHY).json()
    assert set(places["provinces"]) == {"08", "21"}


def test_the_geography_may_be_kept_by_the_service_worker(cast, as_user):
    response = as_user(cast.caseworker_a).get(GEOGRAPHY)
    assert "no-store" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
