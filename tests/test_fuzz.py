"""Nasty values in every field a person can send never give a server error (500).

Each form field, list filter and report filter of the application receives, one at a time, a NUL
byte (which PostgreSQL refuses in text), a very long string, a number too large for any column,
and bytes that are not UTF-8 (a lone surrogate as a browser would encode it: Django decodes it
as U+FFFD); the rest of the request is valid. The field sync's JSON can carry a true lone
surrogate, and gets one. The answer may be a form error, a 400 or a 404, never a 500. The same
tests run on SQLite and PostgreSQL (CI's second pass): PostgreSQL refuses a NUL in text, SQLite
refuses a number beyond 64 bits.

Each request runs in a savepoint that is rolled back, so that one value's success (a case saved)
never changes what the next value meets. The CSV import's cells are checked at the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.forms import CaseForm
from cases.models import Case
from services.csvimport import ImportFileError, read_csv, run_import
from services.models import CareService, Community
from shelters.models import Sex, Stay
from tests.csvfiles import import_file, write_csv
from tests.factories import (
    CaseFactory,
    CommunityFactory,
    PersonFactory,
    ShelterFactory,
    StayFactory,
    intake_post_data,
)
from tests.tasks import run_jobs

# What a person (or a script) can put in a field, named for the messages. Bytes are sent as they
# are, percent-encoded.
NASTY: dict[str, str | bytes] = {
    "nul": "\x00",
    "long": "x" * 5000,
    "huge-number": "9" * 30,
    "broken-utf8": b"\xed\xa0\x80",
}
# The field sync reads JSON, where a lone surrogate survives the decoding.
NASTY_JSON: dict[str, str] = {
    "nul": "\x00",
    "long": "x" * 5000,
    "huge-number": "9" * 30,
    "lone-surrogate": "\ud800",
}


@dataclass
class World:
    cast: object
    case: object
    shelter: object
    family: str
    stay: object


@pytest.fixture
def world(cast) -> World:
    CommunityFactory(district=cast.service_a.district, name="Chectuyoc")
    cast.service_a.covered_districts.add(cast.service_a.district)
    cast.service_a.covered_communities.set(Community.objects.all())
    case = CaseFactory(
        service=cast.service_a, intake_date=timezone.localdate() - timedelta(days=30)
    )
    shelter = ShelterFactory(code="HRT-081201", district=cast.service_a.district, capacity=10)
    ShelterFactory(code="HRT-210101", district=cast.service_b.district, capacity=10)
    stay = StayFactory(
        shelter=shelter,
        person=PersonFactory(sex=Sex.FEMALE),
        role=Stay.Role.WOMAN,
        admitted_on=date(2024, 1, 10),
    )
    return World(cast, case, shelter, str(stay.family_group), stay)


@dataclass(frozen=True)
class Target:
    """A page that takes input: who sends it, how, and a valid request to spoil one field of."""

    name: str
    method: str
    user: str  # a member of the cast, or "" for nobody logged in
    url: Callable[[World], str]
    data: Callable[[World], dict]
    fields: tuple[str, ...]


def intake(world: World) -> dict:
    return intake_post_data(world.cast.service_a, new_community="")


def edit(world: World) -> dict:
    return {**intake(world), "version": str(world.case.version)}


# Every field of the intake form, as the form declares them (a new field is fuzzed too), and
# the service it is posted for.
INTAKE_FIELDS = ("service", *CaseForm.base_fields)
# The edit form is the intake form on a stored case, and the field sync fills the same form:
# every field is tried on the intake; these get the fields that depend on the case or on the
# district (geography, a new community, the version) and one field of each kind besides.
ONE_OF_EACH_KIND = (
    "victim_name",  # text
    "victim_age",  # whole number
    "intake_date",  # date
    "violence_type",  # registry code
    "victim_peruvian",  # yes / no
    "complaint_filed",  # yes / no / unknown
    "violence_acts",  # several choices
)
GEOGRAPHY = ("region", "province", "district", "community", "new_community")


def _today() -> str:
    return timezone.localdate().isoformat()


def admission(world: World) -> dict:
    return {
        "admitted_on": "2024-03-01",
        "planned_discharge_on": "",
        "case_code": "",
        "referring_service": "",
        "woman_name": "Rosa Quispe Huamán",
        "woman_birth_date": "",
        "woman_age": "31",
        "children-TOTAL_FORMS": "1",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "15",
        "children-0-full_name": "Niña",
        "children-0-sex": "0",
        "children-0-age": "5",
        "children-0-birth_date": "",
    }


REPORT_FIELDS = ("year", "from", "to", "region", "service_kind", "service", "format", "by", "page")


def case_url(name: str) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.case.code])


def family_url(name: str) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.shelter.code, world.family])


def fixed(url: str) -> Callable[[World], str]:
    return lambda world: url


def nothing(world: World) -> dict:
    return {}


TARGETS = [
    Target("intake", "post", "caseworker_a", fixed("/cases/new/"), intake, INTAKE_FIELDS),
    Target(
        "edit",
        "post",
        "caseworker_a",
        case_url("case_edit"),
        edit,
        (*GEOGRAPHY, *ONE_OF_EACH_KIND, "version"),
    ),
    Target(
        "action",
        "post",
        "caseworker_a",
        case_url("case_add_action"),
        lambda world: {"kind": "session", "date": _today(), "notes": "Sesión"},
        ("kind", "date", "notes", "submission_token"),
    ),
    Target(
        "referral",
        "post",
        "caseworker_a",
        case_url("case_refer"),
        lambda world: {
            "destination": "CEM",
            "destination_service": str(world.cast.service_b.pk),
            "destination_detail": "",
            "date": _today(),
            "consent": "1",
            "notes": "",
        },
        ("destination", "destination_service", "destination_detail", "date", "consent", "notes"),
    ),
    Target(
        "close",
        "post",
        "caseworker_a",
        case_url("case_close"),
        lambda world: {"closed_on": _today(), "reason": "completed"},
        ("closed_on", "reason"),
    ),
    Target(
        "repeat-check",
        "post",
        "caseworker_a",
        fixed("/cases/repeat-check/"),
        lambda world: {"document": "41234567"},
        ("document",),
    ),
    Target(
        "case-list",
        "get",
        "caseworker_a",
        fixed("/cases/"),
        nothing,
        ("q", "status", "service", "risk_level", "date_from", "date_to", "community", "page"),
    ),
    Target(
        "service-list",
        "get",
        "national_manager",
        fixed("/services/"),
        nothing,
        ("q", "kind", "region", "active", "page"),
    ),
    Target(
        "geo",
        "get",
        "caseworker_a",
        fixed("/geo/provinces/"),
        nothing,
        ("parent",),
    ),
    Target("geo-districts", "get", "caseworker_a", fixed("/geo/districts/"), nothing, ("parent",)),
    Target(
        "geo-communities", "get", "caseworker_a", fixed("/geo/communities/"), nothing, ("parent",)
    ),
    Target(
        "admission",
        "post",
        "shelter_staff",
        lambda world: reverse("shelter_admit", args=[world.shelter.code]),
        admission,
        (
            "admitted_on",
            "planned_discharge_on",
            "case_code",
            "referring_service",
            "woman_name",
            "woman_birth_date",
            "woman_age",
            "children-TOTAL_FORMS",
            "children-INITIAL_FORMS",
            "children-0-full_name",
            "children-0-sex",
            "children-0-age",
            "children-0-birth_date",
        ),
    ),
    Target(
        "admission-page",
        "get",
        "shelter_staff",
        lambda world: reverse("shelter_admit", args=[world.shelter.code]),
        nothing,
        ("case", "children"),
    ),
    Target(
        "discharge",
        "post",
        "shelter_staff",
        family_url("shelter_discharge"),
        lambda world: {
            "stays": str(world.stay.pk),
            "discharged_on": _today(),
            "reason": Stay.DischargeReason.choices[0][0],
        },
        ("stays", "discharged_on", "reason"),
    ),
    Target(
        "transfer",
        "post",
        "shelter_staff",
        family_url("shelter_transfer"),
        lambda world: {
            "stays": str(world.stay.pk),
            "to_shelter": "",
            "transferred_on": _today(),
            "planned_discharge_on": "",
        },
        ("stays", "to_shelter", "transferred_on", "planned_discharge_on"),
    ),
    Target(
        "shelter-edit",
        "post",
        "shelter_staff",
        lambda world: reverse("shelter_edit", args=[world.shelter.code]),
        lambda world: {
            "name": "Hogar",
            "address": "Jr. Confidencial 1",
            "capacity": "10",
            "closed_on": "",
        },
        ("name", "address", "capacity", "closed_on"),
    ),
    *(
        Target(
            f"report-{name}",
            "get",
            "regional_manager",
            fixed(f"/reports/{name}/"),
            nothing,
            REPORT_FIELDS,
        )
        for name in ("cases", "shelters", "network", "rural-coverage", "protection")
    ),
    Target("open-data", "get", "", fixed("/reports/open-data/"), nothing, ("year",)),
    Target(
        "login",
        "post",
        "",
        fixed("/accounts/login/"),
        lambda world: {"username": "caseworker_a", "password": "wrong", "next": "/"},
        ("username", "password", "next"),
    ),
    Target(
        "admin-service",
        "post",
        "admin",
        fixed("/admin/services/careservice/add/"),
        lambda world: {
            "code": "CEM-NEW",
            "kind": "CEM",
            "name": "CEM Nuevo",
            "district": world.cast.service_a.district_id,
            "opened_on": "2020-01-01",
            "closed_on": "",
        },
        (
            "code",
            "kind",
            "name",
            "district",
            "opened_on",
            "closed_on",
            "covered_districts",
            "covered_communities",
        ),
    ),
    Target(
        "admin-community",
        "post",
        "admin",
        fixed("/admin/services/community/add/"),
        lambda world: {
            "district": world.cast.service_a.district_id,
            "code": "",
            "name": "Nueva",
            "kind": "CP",
        },
        ("district", "code", "name", "kind"),
    ),
    Target(
        "admin-shelter",
        "post",
        "admin",
        fixed("/admin/shelters/shelter/add/"),
        lambda world: {
            "code": "HRT-NEW",
            "name": "Hogar Nuevo",
            "district": world.cast.service_a.district_id,
            "address": "Jr. Uno 1",
            "capacity": "8",
            "opened_on": "2020-01-01",
        },
        ("code", "name", "district", "address", "capacity", "opened_on", "closed_on"),
    ),
    *(
        Target(
            f"admin-list-{model}",
            "get",
            "admin",
            fixed(f"/admin/{model}/"),
            nothing,
            ("q", "o", "p", *filters),
        )
        for model, filters in (
            (
                "services/careservice",
                ("kind__exact", "district__province__region__code__exact", "opened_on__year"),
            ),
            ("services/community", ("kind__exact",)),
            ("services/district", ("province__region__code__exact",)),
            ("shelters/shelter", ("district__province__region__code__exact",)),
            ("shelters/stay", ("role__exact", "=family_group")),
            ("cases/case", ("status__exact", "intake_date__year")),
            ("cases/auditentry", ("action__exact",)),
            ("cases/documentcheck", ("via__exact", "answer__exact")),
        )
    ),
    Target(
        "admin-autocomplete",
        "get",
        "admin",
        fixed("/admin/autocomplete/"),
        lambda world: {
            "term": "a",
            "app_label": "services",
            "model_name": "careservice",
            "field_name": "district",
        },
        ("term", "app_label", "model_name", "field_name"),
    ),
]

# Known server errors, marked strict so that a fix shows: none left.
KNOWN: dict = {}


def case_id(name: str, *values):
    return pytest.param(*values, id=name, marks=[KNOWN[name]] if name in KNOWN else [])


CASES = [
    case_id(f"{target.name}-{field}", target, field)
    for target in TARGETS
    for field in target.fields
]


def encode(data: dict) -> str:
    pairs = []
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return urlencode(pairs)


def server_errors(send: Callable[[object], object], values: dict) -> list[str]:
    """Send each value (`send(value)` makes the request); name those answered with a 500."""
    errors = []
    for label, value in values.items():
        with transaction.atomic():
            response = send(value)
            transaction.set_rollback(True)
        if response.status_code >= 500:
            exception = response.exc_info[1] if response.exc_info else None
            errors.append(f"{label}: {type(exception).__name__}")
    return errors


@pytest.mark.parametrize(("target", "field"), CASES)
def test_a_nasty_value_is_never_a_server_error(world, client, target, field):
    if target.user:
        client.force_login(getattr(world.cast, target.user))
    client.raise_request_exception = False
    url = target.url(world)

    def send(value):
        body = encode({**target.data(world), field: value})
        if target.method == "get":
            return client.get(f"{url}?{body}")
        return client.post(url, body, content_type="application/x-www-form-urlencoded")

    assert server_errors(send, NASTY) == []


# The field sync: JSON items, validated by the same forms -----------------------------------------


def sync_case(world: World) -> dict:
    data = intake(world)
    del data["service"]
    return {"type": "case", "service": world.cast.service_a.code, "data": data}


def sync_action(world: World) -> dict:
    data = {"kind": "home_visit", "date": _today(), "notes": "Visita"}
    return {"type": "action", "case": world.case.code, "data": data}


def sync_edit(world: World) -> dict:
    data = {"risk_level": "3", "new_community": "Nueva Esperanza"}
    return {"type": "edit", "case": world.case.code, "base_version": 1, "data": data}


SYNC_ITEMS = {"case": sync_case, "action": sync_action, "edit": sync_edit}
SYNC_CASES = [
    case_id(f"sync-{kind}-{field}", kind, place, field)
    for kind, fields in (
        ("case", [*GEOGRAPHY, *ONE_OF_EACH_KIND, "victim_document_number"]),
        ("action", ["kind", "date", "notes"]),
        ("edit", ["risk_level", "new_community", "district", "victim_name"]),
    )
    for place, field in [("data", name) for name in fields]
    + [("item", name) for name in ("id", "type", "captured_at", "service", "case")]
]


@pytest.mark.parametrize(("kind", "place", "field"), SYNC_CASES)
def test_a_nasty_value_in_a_field_item_is_never_a_server_error(world, client, kind, place, field):
    client.force_login(world.cast.caseworker_a)
    client.raise_request_exception = False

    def send(value):
        item = {
            "id": str(uuid.uuid4()),
            "captured_at": (timezone.localtime() - timedelta(minutes=5)).isoformat(),
            **SYNC_ITEMS[kind](world),
        }
        if place == "data":
            item["data"] = {**item["data"], field: value}
        else:
            item[field] = value
        body = json.dumps({"items": [item]})
        return client.post("/api/v1/sync/", body, content_type="application/json")

    assert server_errors(send, NASTY_JSON) == []


def test_a_nasty_code_in_a_field_package_request_is_never_a_server_error(world, client):
    client.force_login(world.cast.caseworker_a)
    client.raise_request_exception = False

    def send(value):
        body = json.dumps({"cases": [world.case.code, value]})
        return client.post("/api/v1/field/package/", body, content_type="application/json")

    assert server_errors(send, NASTY_JSON) == []


# The CSV import: a NUL in any cell is an error naming its line and column ------------------------

IMPORT_ROWS = {
    "services": {
        "CODIGO": "CEM-081201",
        "TIPO": "CEM",
        "NOMBRE": "CEM Urcos",
        "UBIGEO": "081201",
        "FECHA_APERTURA": "2015-03-08",
        "FECHA_CIERRE": "",
        "CAPACIDAD": "",
    },
    "cases": {
        "CODIGO_SERVICIO": "SAR-081201",
        "NUMERO_CASO": "2023-1",
        "FECHA_INGRESO": "2023-03-15",
        "CONDICION": "1",
        "EDAD_VICTIMA": "34",
        "SEXO_VICTIMA": "0",
        "DPTO_DOMICILIO": "08",
        "PROV_DOMICILIO": "12",
        "DIST_DOMICILIO": "01",
        "CENTRO_POBLADO_DOMICILIO": "0003",
        "TIPO_VIOLENCIA": "2",
        "NIVEL_DE_RIESGO_VICTIMA": "2",
        "NOMBRE_VICTIMA": "Rosa Quispe",
        "TIPO_DOCUMENTO": "DNI",
        "NUMERO_DOCUMENTO": "41234567",
    },
    "stays": {
        "CODIGO_HOGAR": "HRT-081201",
        "ID_PERSONA": "P-1",
        "SEXO": "0",
        "EDAD": "30",
        "FECHA_INGRESO": "2024-03-01",
        "FECHA_EGRESO": "2024-05-31",
        "GRUPO_FAMILIAR": "1",
        "CODIGO_SERVICIO": "",
        "NUMERO_CASO": "",
    },
}
IMPORT_CASES = [
    pytest.param(kind, column, id=f"{kind}-{column}")
    for kind, row in IMPORT_ROWS.items()
    for column in row
]


def nul_in(row: dict, column: str) -> dict:
    return {**row, column: f"{row[column][:2]}\x00{row[column][2:]}"}


@pytest.mark.parametrize(("kind", "column"), IMPORT_CASES)
def test_a_nul_in_any_cell_is_an_error_naming_its_line_and_column(world, tmp_path, kind, column):
    row = IMPORT_ROWS[kind]
    path = write_csv(tmp_path / f"{kind}.csv", [row, nul_in(row, column)])

    report = run_import(kind, path)

    assert not report.stored
    assert [(error.line, error.column) for error in report.errors] == [(3, column)]
    assert "NUL" in report.errors[0].reason
    assert "\x00" not in " ".join(str(error) for error in report.all_errors)


def test_the_command_names_the_nul_and_stores_nothing(world, tmp_path):
    row = IMPORT_ROWS["services"]
    path = write_csv(tmp_path / "servicios.csv", [nul_in(row, "NOMBRE")])

    with pytest.raises(CommandError):  # the command's own error: a message, no traceback
        import_file("services", path)

    assert not CareService.objects.filter(code="CEM-081201").exists()


def test_with_skip_invalid_the_other_rows_are_stored(world, tmp_path):
    good, bad = IMPORT_ROWS["services"], nul_in(IMPORT_ROWS["services"], "NOMBRE")
    path = write_csv(tmp_path / "servicios.csv", [good, {**bad, "CODIGO": "CEM-OTHER"}])

    out, _err = import_file("services", path, skip_invalid=True)

    assert CareService.objects.filter(code="CEM-081201").exists()
    assert not CareService.objects.filter(code="CEM-OTHER").exists()
    assert "\x00" not in out


def test_a_nul_in_the_header_refuses_the_file(world, tmp_path):
    path = tmp_path / "servicios.csv"
    path.write_bytes(b"CODIGO,TI\x00PO,NOMBRE\r\nCEM-1,CEM,Uno\r\n")

    with pytest.raises(ImportFileError) as refused:
        read_csv(path)

    assert "2" in str(refused.value) and "\x00" not in str(refused.value)


@pytest.mark.parametrize("kind", list(IMPORT_ROWS))
def test_the_admin_preview_lists_the_nul_as_an_error(world, client, settings, tmp_path, kind):
    settings.CSV_IMPORT_DIR = tmp_path / "imports"
    client.force_login(world.cast.admin)
    row = IMPORT_ROWS[kind]
    column = list(row)[2]
    path = write_csv(tmp_path / f"{kind}.csv", [row, nul_in(row, column)])

    with path.open("rb") as handle:
        uploaded = client.post("/admin/cases/case/import/", {"kind": kind, "file": handle})
    run_jobs()  # the worker checks it
    response = client.get(uploaded["Location"])

    assert response.status_code == 200
    errors = response.context["outcome"]["errors"]
    assert [(error["line"], error["column"]) for error in errors] == [(3, column)]
    assert Case.objects.count() == 1  # the world's own case: nothing imported
