import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from cases.models import AuditEntry, Case
from services.admin_import import SESSION_KEY, already_confirmed_message
from services.models import CareService
from tests.csvfiles import write_csv
from tests.factories import CaseFactory, DistrictFactory, UserFactory
from tests.tasks import run_jobs

IMPORT_URL = "/admin/cases/case/import/"


@pytest.fixture(autouse=True)
def upload_folder(settings, tmp_path):
    settings.CSV_IMPORT_DIR = tmp_path / "imports"
    return settings.CSV_IMPORT_DIR


def case_row(number, **overrides):
    return {
        "CODIGO_SERVICIO": "SAR-081201",
        "NUMERO_CASO": number,
        "FECHA_INGRESO": "15/03/2023",
        "CONDICION": 1,
        "EDAD_VICTIMA": 34,
        "SEXO_VICTIMA": 0,
        "DPTO_DOMICILIO": "08",
        "PROV_DOMICILIO": "12",
        "DIST_DOMICILIO": "01",
        "CENTRO_POBLADO_DOMICILIO": "0003",
        "TIPO_VIOLENCIA": 1,
        "NIVEL_DE_RIESGO_VICTIMA": 3,
        **overrides,
    }


def upload(client, path, *, kind="cases", skip_invalid=False):
    with path.open("rb") as handle:
        data = {"kind": kind, "file": handle}
        if skip_invalid:
            data["skip_invalid"] = "on"
        return client.post(IMPORT_URL, data)


def token_of(response) -> str:
    match = re.search(r"/import/([\w-]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


@pytest.fixture
def good_file(tmp_path):
    return write_csv(
        tmp_path / "casos.csv",
        [case_row("1"), case_row("2")],
        encoding="latin-1",
        delimiter=";",
    )


def test_the_changelists_link_to_the_import_for_administrators(cast, as_user):
    client = as_user(cast.admin)
    for changelist, kind in [
        (reverse("admin:cases_case_changelist"), "cases"),
        (reverse("admin:services_careservice_changelist"), "services"),
    ]:
        page = client.get(changelist).content.decode()
        assert f'href="{IMPORT_URL}?kind={kind}"' in page
    form = client.get(IMPORT_URL, {"kind": "services"})
    assert form.status_code == 200
    assert '<option value="services" selected>' in form.content.decode()


def test_preview_stores_nothing_and_confirm_stores(cast, as_user, good_file, upload_folder):
    client = as_user(cast.admin)

    response = upload(client, good_file)
    assert response.status_code == 302
    token = token_of(response)
    assert (upload_folder / f"{token}.csv").exists()
    run_jobs()  # the worker checks it (services/tasks.py)

    preview = client.get(response["Location"])
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "casos.csv" in page
    assert (preview.context["outcome"]["to_create"], preview.context["outcome"]["present"]) == (
        2,
        0,
    )
    for line in preview.context["outcome"]["summary"]:
        assert line in page
    assert reverse("admin:csv_import_confirm", args=[token]) in page
    assert not Case.objects.exists()

    queued = client.post(reverse("admin:csv_import_confirm", args=[token]))

    # The confirmation only enqueues the job: the worker stores the file.
    assert queued.status_code == 302
    status_url = queued["Location"]
    assert status_url.startswith(f"{IMPORT_URL}jobs/")
    assert not Case.objects.exists()
    assert token not in client.session.get(SESSION_KEY, {})
    run_jobs()

    assert Case.objects.count() == 2
    assert set(AuditEntry.objects.values_list("action", "user", "changes__file")) == {
        (AuditEntry.Action.IMPORT, cast.admin.pk, "casos.csv")
    }
    assert not (upload_folder / f"{token}.csv").exists()
    done = client.get(status_url)
    assert done.context["state"]["state"] == "stored"
    assert f'href="{reverse("admin:cases_case_changelist")}"' in done.content.decode()
    # A second click on "store" stores nothing and goes where the first went.
    again = client.post(reverse("admin:csv_import_confirm", args=[token]), follow=True)
    assert again.redirect_chain == [(status_url, 302)]
    with translation.override(settings.LANGUAGE_CODE):
        assert already_confirmed_message() in again.content.decode()
    run_jobs()
    assert Case.objects.count() == 2


def test_preview_lists_every_error_and_offers_no_store_without_skip(cast, as_user, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row("1"), case_row("2", EDAD_VICTIMA=130), case_row("3", BOFETADAS=1)],
        columns=[*case_row("x"), "BOFETADAS"],
    )
    client = as_user(cast.admin)

    response = upload(client, path)
    token = token_of(response)
    run_jobs()
    preview = client.get(response["Location"])

    errors = {(e["line"], e["column"]) for e in preview.context["outcome"]["errors"]}
    assert errors == {(3, "EDAD_VICTIMA"), (4, "BOFETADAS")}
    page = preview.content.decode()
    # The counts, from the job's outcome, in the administrator's language.
    assert "Por crear: 1." in page
    assert "Rechazados: 2." in page
    assert "<td>3</td><td>EDAD_VICTIMA</td>" in page
    assert "<td>4</td><td>BOFETADAS</td>" in page
    assert reverse("admin:csv_import_confirm", args=[token]) not in page

    # Posting anyway stores nothing: the file is all-or-nothing.
    refused = client.post(reverse("admin:csv_import_confirm", args=[token]))
    run_jobs()
    status = client.get(refused["Location"])
    assert status.context["state"]["state"] == "not_stored"
    assert "<td>3</td><td>EDAD_VICTIMA</td>" in status.content.decode()
    assert not Case.objects.exists()


def test_skip_invalid_stores_the_valid_rows_and_lists_the_rejected(cast, as_user, tmp_path):
    path = write_csv(tmp_path / "casos.csv", [case_row("1"), case_row("2", CONDICION=7)])
    client = as_user(cast.admin)

    token = token_of(upload(client, path, skip_invalid=True))
    queued = client.post(reverse("admin:csv_import_confirm", args=[token]))
    run_jobs()
    result = client.get(queued["Location"])

    assert result.context["state"]["state"] == "stored"
    assert "<td>3</td><td>CONDICION</td>" in result.content.decode()
    assert list(Case.objects.values_list("number", flat=True)) == ["1"]
    assert not list(tmp_path.glob("*.rechazados.csv"))


def test_services_import_through_the_admin(cast, as_user, tmp_path):
    DistrictFactory(code="150101")
    path = write_csv(
        tmp_path / "servicios.csv",
        [
            {
                "CODIGO": "CEM-150101",
                "TIPO": "CEM",
                "NOMBRE": "CEM Lima",
                "UBIGEO": "150101",
                "FECHA_APERTURA": "2015-03-08",
            }
        ],
    )
    client = as_user(cast.admin)

    token = token_of(upload(client, path, kind="services"))
    queued = client.post(reverse("admin:csv_import_confirm", args=[token]))
    run_jobs()
    stored = client.get(queued["Location"])

    assert stored.context["changelist"] == reverse("admin:services_careservice_changelist")
    assert stored.context["state"]["state"] == "stored"
    assert CareService.objects.filter(code="CEM-150101").exists()


def test_cancel_deletes_the_upload(cast, as_user, good_file, upload_folder):
    client = as_user(cast.admin)
    token = token_of(upload(client, good_file))

    client.post(reverse("admin:csv_import_cancel", args=[token]))

    assert not list(upload_folder.glob("*.csv"))
    assert client.get(reverse("admin:csv_import_preview", args=[token])).status_code == 404
    assert not Case.objects.exists()


@pytest.mark.parametrize("member", ["national_manager", "outsider", "caseworker_a"])
def test_people_without_admin_access_are_sent_to_the_admin_login(cast, as_user, member):
    client = as_user(getattr(cast, member))

    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_who_are_not_superusers_cannot_reach_the_import(cast, as_user, good_file):
    staff = UserFactory(username="staff_only", is_staff=True)
    admin_client = as_user(cast.admin)
    token = token_of(upload(admin_client, good_file))
    client = as_user(staff)

    # The whole admin is for superusers: staff are sent to the admin's login page.
    for response in (
        client.get(IMPORT_URL),
        upload(client, good_file),
        # Even someone else's token leads nowhere.
        client.post(reverse("admin:csv_import_confirm", args=[token])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert not Case.objects.exists()


def test_another_administrator_cannot_use_a_token_from_a_different_session(
    cast, as_user, client, good_file
):
    token = token_of(upload(as_user(cast.admin), good_file))
    other = get_user_model().objects.create_superuser("other_admin", password="x" * 12)
    client.logout()
    client.force_login(other)
    run_jobs()  # the uploader's check has ended

    assert client.post(reverse("admin:csv_import_confirm", args=[token])).status_code == 404
    # Nor does she see its preview, nor follow its check.
    assert client.get(reverse("admin:csv_import_preview", args=[token])).status_code == 404
    progress = reverse("admin:csv_import_preview_progress", args=[token])
    assert client.get(progress).status_code == 404
    assert not Case.objects.exists()


def test_cases_are_read_only_in_the_admin_and_reading_one_is_audited(cast, as_user):
    case = CaseFactory(service=cast.service_a)
    client = as_user(cast.admin)

    changelist = client.get(reverse("admin:cases_case_changelist"), {"q": case.code})
    assert case.code in changelist.content.decode()
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 200
    assert client.post(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403

    assert list(AuditEntry.objects.values_list("case", "action", "user")) == [
        (case.pk, AuditEntry.Action.VIEW, cast.admin.pk)
    ]
    trail = client.get(reverse("admin:cases_auditentry_changelist"), {"q": case.code})
    assert trail.status_code == 200
    assert trail.context["cl"].result_count == 1
    assert client.get(reverse("admin:cases_auditentry_add")).status_code == 403
