import csv
import io

from tests.factories import CaseFactory

URL = "/reports/open-data/"


def table(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_one_row_per_service_with_small_cells_hidden_alike(cast, as_user):
    for _ in range(6):
        CaseFactory(service=cast.service_b, victim_sex=0, violence_type=1, victim_age=30)
    CaseFactory(service=cast.service_b, victim_sex=1, violence_type=2, victim_age=8)
    CaseFactory(service=cast.service_a, victim_sex=0, violence_type=1, victim_age=30)

    rows = {row["CODIGO SERVICIO"]: row for row in table(as_user(cast.national_manager), year=2023)}

    cem = rows[cast.service_b.code]
    assert cem["AÑO"] == "2023"
    assert cem["UBIGEO"] == "210101"
    assert cem["N° CASOS ATENDIDOS-TOTAL"] == "7"
    # one man: hidden, and the women hidden too, or 7 - 6 would give him away
    assert cem["N° CASOS ATENDIDOS - HOMBRES - TOTAL"] == "X"
    assert cem["N° CASOS ATENDIDOS - MUJERES - TOTAL"] == "X"
    assert cem["VIOLENCIA FÍSICA"] == "X"
    assert cem["VIOLENCIA PSICOLÓGICA"] == "X"
    # the zeros of a group with hidden cells are hidden too: an X may be 0
    assert cem["VIOLENCIA SEXUAL"] == "X"
    assert cem["VIOLENCIA ECONÓMICA O PATRIMONIAL"] == "X"
    assert cem["6-11 AÑOS"] == "X"
    assert cem["26-35 AÑOS"] == "X"
    assert cem["60+ AÑOS"] == "X"
    sar = rows[cast.service_a.code]
    assert sar["N° CASOS ATENDIDOS-TOTAL"] == "X"
    # no small number survives anywhere, and there is one label only
    for row in rows.values():
        for column, value in row.items():
            if column in ("AÑO", "UBIGEO"):
                continue
            assert value != "<5"
            if value.isdigit():
                assert not 1 <= int(value) <= 4, (column, value)


def test_the_open_data_export_follows_the_scope(cast, as_user):
    CaseFactory(service=cast.service_a)
    CaseFactory(service=cast.service_b)
    rows = table(as_user(cast.regional_manager), year=2023)
    assert [row["CODIGO SERVICIO"] for row in rows] == [cast.service_a.code]


def test_only_whole_years_are_published(cast, as_user):
    client = as_user(cast.national_manager)
    for params in (
        {},
        {"year": "2023", "from": "2023-01-01"},
        {"from": "2023-06-14"},
        {"year": "1990"},
    ):
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert response.json()["errors"]
