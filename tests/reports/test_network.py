import csv
from datetime import date

from tests.factories import CareServiceFactory, ShelterFactory

URL = "/reports/network/"


def test_opened_and_active_by_kind_including_shelters(cast, as_user):
    district = cast.service_a.district
    CareServiceFactory(kind="CEM", district=district, opened_on=date(2023, 1, 1))
    CareServiceFactory(kind="CEM", district=district, opened_on=date(2023, 12, 31))
    CareServiceFactory(kind="CEM", district=district, opened_on=date(2024, 1, 1))
    CareServiceFactory(kind="CAI", district=district, opened_on=date(2023, 5, 5))
    ShelterFactory(district=district, opened_on=date(2023, 2, 2))
    ShelterFactory(district=district, opened_on=date(2015, 1, 1), closed_on=date(2022, 12, 31))

    data = as_user(cast.national_manager).get(URL, {"year": 2023, "format": "json"}).json()

    assert data["opened"] == {"CEM": 2, "SAR": 0, "CAI": 1, "HRT": 1}
    # plus the cast's SAR and CEM, opened in 2020
    assert data["active"] == {"CEM": 3, "SAR": 1, "CAI": 1, "HRT": 1}
    assert data["period"] == {"from": "2023-01-01", "to": "2023-12-31"}


def test_kind_filter_hrt_leaves_only_shelters(cast, as_user):
    ShelterFactory(district=cast.service_a.district, opened_on=date(2023, 2, 2))
    data = (
        as_user(cast.national_manager)
        .get(URL, {"year": 2023, "format": "json", "service_kind": "HRT"})
        .json()
    )
    assert data["active"] == {"CEM": 0, "SAR": 0, "CAI": 0, "HRT": 1}


def test_csv_matches_json(cast, as_user):
    client = as_user(cast.national_manager)
    data = client.get(URL, {"year": 2023, "format": "json"}).json()
    text = client.get(URL, {"year": 2023, "format": "csv"}).content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == '"Desde","Hasta","Tipo","Abiertos en el periodo","Activos en el periodo"'
    assert data["hidden"] == []  # the network counts services, not people
    for line in lines[1:]:
        _from, _to, kind, opened, active = next(csv.reader([line]))
        assert (int(opened), int(active)) == (data["opened"][kind], data["active"][kind])
