"""The administrators' import offers the activities too: preview (stores nothing), errors named
by line, then the background job stores them; the activities' admin list links to it."""

import re

import pytest
from django.urls import reverse

from activities.models import Activity, AuditEntry
from tests.activities.test_import_activities import activity_row
from tests.csvfiles import write_csv
from tests.tasks import run_jobs

IMPORT_URL = "/admin/cases/case/import/"


@pytest.fixture(autouse=True)
def upload_folder(settings, tmp_path):
    settings.CSV_IMPORT_DIR = tmp_path / "imports"
    return settings.CSV_IMPORT_DIR


def upload(client, path, *, skip_invalid=False) -> str:
    with path.open("rb") as handle:
        data = {"kind": "activities", "file": handle}
        if skip_invalid:
            data["skip_invalid"] = "on"
        response = client.post(IMPORT_URL, data)
    assert response.status_code == 302, response
    return re.search(r"/import/([\w-]+)/$", response["Location"]).group(1)


def test_the_activities_list_links_to_the_import_of_activities(cast, as_user):
    page = as_user(cast.admin).get(reverse("admin:activities_activity_changelist"))
    assert f'href="{IMPORT_URL}?kind=activities"' in page.content.decode()
    form = as_user(cast.admin).get(IMPORT_URL, {"kind": "activities"})
    assert form.context["form"]["kind"].value() == "activities"


def test_preview_names_bad_lines_then_the_job_stores_the_valid_rows(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    path = write_csv(
        tmp_path / "actividades.csv",
        [activity_row("T-1"), activity_row("T-2", TIPO="CHARLA"), activity_row("T-3")],
        encoding="latin-1",
        delimiter=";",
    )
    token = upload(client, path, skip_invalid=True)
    run_jobs()  # the worker checks it

    preview = client.get(reverse("admin:csv_import_preview", args=[token]))

    page = preview.content.decode()
    assert "<td>3</td><td>TIPO</td>" in page
    assert preview.context["outcome"]["to_create"] == 2
    assert not Activity.objects.exists()

    status = client.post(reverse("admin:csv_import_confirm", args=[token]))
    run_jobs()

    assert set(Activity.objects.values_list("external_id", flat=True)) == {"T-1", "T-3"}
    assert set(AuditEntry.objects.values_list("action", "user", "changes__file")) == {
        (AuditEntry.Action.IMPORT, cast.admin.pk, "actividades.csv")
    }
    done = client.get(status["Location"]).content.decode()
    assert f'href="{reverse("admin:activities_activity_changelist")}"' in done
