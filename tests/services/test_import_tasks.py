"""The admin import stores in the background (services/tasks.py): the confirmation enqueues a job
for the worker, the status page follows it, and the upload is deleted as soon as it is done with.
"""

import json
import os
import re
import stat
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from cases.importers import CaseImporter
from cases.models import AuditEntry, Case
from services.admin_import import SESSION_KEY
from services.models import Submission
from services.tasks import (
    CHECKING,
    MAX_AGE_SECONDS,
    check_csv_import,
    store_csv_import,
    sweep_old_uploads,
    upload_gone_message,
    write_progress,
)
from tests.csvfiles import write_csv
from tests.factories import UserFactory
from tests.tasks import run_jobs

IMPORT_URL = "/admin/cases/case/import/"
STORE_TASK = "services.tasks.store_csv_import"
CHECK_TASK = "services.tasks.check_csv_import"
SWEEP_TASK = "services.tasks.sweep_uploads"


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


def cases_file(folder: Path, count: int = 2, **overrides) -> Path:
    rows = [case_row(str(n), **overrides) for n in range(1, count + 1)]
    return write_csv(folder / "casos.csv", rows, encoding="latin-1", delimiter=";")


def upload(client, path, *, skip_invalid=False) -> str:
    """Upload `path` as the admin's form does; return the upload's token."""
    with path.open("rb") as handle:
        data = {"kind": "cases", "file": handle}
        if skip_invalid:
            data["skip_invalid"] = "on"
        response = client.post(IMPORT_URL, data)
    assert response.status_code == 302, response
    return re.search(r"/import/([\w-]+)/$", response["Location"]).group(1)


def confirm(client, token) -> str:
    """Confirm the upload `token`; return the job's status page."""
    response = client.post(reverse("admin:csv_import_confirm", args=[token]))
    assert response.status_code == 302
    return response["Location"]


def job_of(status_url: str) -> DBTaskResult:
    job_id = re.search(r"/jobs/([0-9a-f-]+)/$", status_url).group(1)
    return DBTaskResult.objects.get(pk=job_id)


def progress_url(status_url: str) -> str:
    return status_url + "progress/"


def spanish(text) -> str:
    """`text` (a msgid, or a function giving a message) as a Spanish-speaking admin reads it."""
    with translation.override(settings.LANGUAGE_CODE):
        return text() if callable(text) else gettext(text)


def age(path: Path, seconds: float) -> None:
    """Make `path` look `seconds` old."""
    then = time.time() - seconds
    os.utime(path, (then, then))


# The confirmation enqueues; the worker stores. ----------------------------------------------------


def test_the_confirmation_only_enqueues_and_the_worker_stores(
    cast, as_user, tmp_path, upload_folder
):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))

    status_url = confirm(client, token)

    job = job_of(status_url)
    assert job.task_path == STORE_TASK
    assert job.status == "READY"
    # Nothing is stored, and the file waits for the worker.
    assert not Case.objects.exists()
    assert (upload_folder / f"{token}.csv").exists()
    queued = client.get(status_url)
    assert queued.context["state"]["state"] == "queued"

    run_jobs()

    job.refresh_from_db()
    assert job.status == "SUCCESSFUL"
    assert Case.objects.count() == 2
    assert set(AuditEntry.objects.values_list("action", "user", "changes__file")) == {
        (AuditEntry.Action.IMPORT, cast.admin.pk, "casos.csv")
    }
    done = client.get(status_url)
    page = done.content.decode()
    assert done.context["state"]["state"] == "stored"
    assert "Importación guardada." in page
    assert "Creados: 2." in page  # the summary, in the administrator's language
    assert f'href="{reverse("admin:cases_case_changelist")}"' in page


def test_a_double_confirmation_enqueues_one_job(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))

    first = confirm(client, token)
    second = confirm(client, token)

    assert first == second
    assert DBTaskResult.objects.filter(task_path=STORE_TASK).count() == 1
    assert Submission.objects.count() == 1
    run_jobs()
    assert confirm(client, token) == first
    assert Case.objects.count() == 2


def test_the_job_checks_again_and_stores_nothing_if_a_row_became_invalid(
    cast, as_user, tmp_path, upload_folder
):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))
    run_jobs()
    preview = client.get(reverse("admin:csv_import_preview", args=[token]))
    assert preview.context["outcome"]["rejected"] == 0
    status_url = confirm(client, token)
    # Between the confirmation and the worker, the service closes before the cases' dates.
    cast.service_a.opened_on = timezone.localdate() - timedelta(days=10)
    cast.service_a.save()

    run_jobs()

    status = client.get(status_url)
    assert status.context["state"]["state"] == "not_stored"
    assert "<td>2</td><td>FECHA_INGRESO</td>" in status.content.decode()
    assert spanish("Nothing was stored.") in status.content.decode()
    assert not Case.objects.exists()
    assert not list(upload_folder.iterdir())


def test_a_job_that_breaks_while_storing_stores_nothing_and_deletes_the_file(
    cast, as_user, tmp_path, upload_folder, monkeypatch
):
    def store_then_break(self, report):
        original(self, report)
        assert Case.objects.count() == 2  # written, inside the import's transaction
        raise RuntimeError("the disk is full")

    original = CaseImporter.store
    monkeypatch.setattr(CaseImporter, "store", store_then_break)
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path)))

    run_jobs()

    job = job_of(status_url)
    assert job.status == "FAILED"
    assert "RuntimeError" in job.exception_class_path
    assert not Case.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not list(upload_folder.iterdir())
    status = client.get(status_url)
    assert status.context["state"]["state"] == "failed"
    assert "the disk is full" not in status.content.decode()


def test_the_job_refuses_an_administrator_who_lost_her_rights(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path)))
    get_user_model().objects.filter(pk=cast.admin.pk).update(is_superuser=False)

    run_jobs()

    assert job_of(status_url).return_value["stored"] is False
    assert not Case.objects.exists()


# Progress. ----------------------------------------------------------------------------------------


def test_the_status_page_follows_the_job_without_inline_script(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))
    status_url = confirm(client, token)

    page = client.get(status_url).content.decode()

    assert 'src="/static/js/import_status.js"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert f'data-progress-url="{progress_url(status_url)}"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    # The worker claims the job and has checked 2,000 of 5,000 rows.
    job = job_of(status_url)
    job.claim("test-worker")
    write_progress(token, CHECKING, 2000, 5000)

    running = client.get(progress_url(status_url)).json()

    assert {key: running[key] for key in ("state", "finished", "done", "total")} == {
        "state": "running",
        "finished": False,
        "done": 2000,
        "total": 5000,
    }
    with translation.override(settings.LANGUAGE_CODE):
        numbers = [number_format(n, force_grouping=True) for n in (2000, 5000)]
    assert re.search(r"\b{}\b.*\b{}\b".format(*map(re.escape, numbers)), running["text"])
    page = client.get(status_url).content.decode()
    assert '<progress id="import-progress" max="5000" value="2000">' in page


def test_the_progress_answer_costs_a_few_queries(
    cast, as_user, tmp_path, django_assert_num_queries
):
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path)))
    client.get(status_url)

    # The session, its user, the job; and the session's save, as its expiry moves forward (an
    # update between a savepoint and its release).
    with django_assert_num_queries(6):
        answer = client.get(progress_url(status_url))

    assert answer.json()["state"] == "queued"


def test_a_job_left_waiting_says_the_worker_may_be_stopped(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path)))
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=5))

    text = client.get(progress_url(status_url)).json()["text"]

    assert "python manage.py db_worker" in text


def test_a_job_whose_worker_died_is_reported_once_its_progress_is_swept(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path)))
    job_of(status_url).claim("a-worker-that-will-be-killed")

    # Just claimed: it has not written its progress yet.
    assert client.get(progress_url(status_url)).json()["state"] == "running"

    # Killed two hours ago, its progress file long swept; the job's row still says RUNNING.
    DBTaskResult.objects.update(started_at=timezone.now() - timedelta(hours=2))
    answer = client.get(progress_url(status_url)).json()

    assert (answer["state"], answer["finished"]) == ("failed", True)


def test_a_finished_job_tells_the_script_to_stop(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path)))
    run_jobs()

    answer = client.get(progress_url(status_url)).json()
    page = client.get(status_url).content.decode()

    assert (answer["state"], answer["finished"]) == ("stored", True)
    assert "import_status.js" not in page
    assert 'http-equiv="refresh"' not in page


# The preview checks in the background too. ------------------------------------------------------


def test_the_upload_only_enqueues_the_check_and_the_preview_follows_it(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path, count=3, EDAD_VICTIMA=130))
    preview_url = reverse("admin:csv_import_preview", args=[token])
    follow_url = reverse("admin:csv_import_preview_progress", args=[token])

    # The upload checked nothing: the worker will.
    check = DBTaskResult.objects.get(task_path=CHECK_TASK)
    assert check.status == "READY"
    checking = client.get(preview_url)
    page = checking.content.decode()
    assert checking.context["state"]["state"] == "queued"
    assert checking.context["outcome"] is None
    assert 'src="/static/js/import_status.js"' in page
    assert f'data-progress-url="{follow_url}"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert reverse("admin:csv_import_confirm", args=[token]) not in page
    assert "import-errors" not in page
    # The worker claims it and has checked 2,000 of 5,000 rows.
    check.claim("test-worker")
    write_progress(token, CHECKING, 2000, 5000)
    running = client.get(follow_url).json()
    assert (running["state"], running["done"], running["total"]) == ("running", 2000, 5000)
    # That worker let it go; the next one runs it.
    DBTaskResult.objects.filter(pk=check.pk).update(status="READY", started_at=None)

    run_jobs()

    done = client.get(follow_url).json()
    assert (done["state"], done["finished"]) == ("checked", True)
    page = client.get(preview_url).content.decode()
    assert "Por crear: 0." in page and "Rechazados: 3." in page
    for line in (2, 3, 4):
        assert f"<td>{line}</td><td>EDAD_VICTIMA</td>" in page
    assert "import_status.js" not in page
    assert 'http-equiv="refresh"' not in page
    # Its outcome is JSON that quotes no cell, and the upload waits for the confirmation.
    outcome = check_csv_import.get_result(str(check.pk)).return_value
    assert outcome["rejected"] == 3
    assert "130" not in json.dumps(outcome)
    assert (settings.CSV_IMPORT_DIR / f"{token}.csv").exists()
    assert not Case.objects.exists()


def test_the_preview_of_a_valid_file_offers_to_store_it_once_checked(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))
    run_jobs()

    page = client.get(reverse("admin:csv_import_preview", args=[token])).content.decode()

    assert "Por crear: 2." in page
    assert reverse("admin:csv_import_confirm", args=[token]) in page
    run_jobs()
    assert not Case.objects.exists()
    # The job that stores it checks it again, in its own transaction.
    confirm(client, token)
    run_jobs()
    assert Case.objects.count() == 2


def test_only_the_uploader_follows_the_check(cast, as_user, client, tmp_path):
    token = upload(as_user(cast.admin), cases_file(tmp_path))
    check = DBTaskResult.objects.get(task_path=CHECK_TASK)
    other = get_user_model().objects.create_superuser("other_admin", password="x" * 12)
    client.logout()
    client.force_login(other)

    for name in ("admin:csv_import_preview", "admin:csv_import_preview_progress"):
        assert client.get(reverse(name, args=[token])).status_code == 404
    # Nor is a check a job whose status page anyone sees.
    assert client.get(f"{IMPORT_URL}jobs/{check.pk}/").status_code == 404
    assert client.get(f"{IMPORT_URL}jobs/{check.pk}/progress/").status_code == 404


# Who sees a job. ---------------------------------------------------------------------------------


def test_only_the_administrator_who_started_a_job_sees_it(cast, as_user, client, tmp_path):
    status_url = confirm(as_user(cast.admin), upload(as_user(cast.admin), cases_file(tmp_path)))
    other = get_user_model().objects.create_superuser("other_admin", password="x" * 12)
    client.logout()
    client.force_login(other)

    assert client.get(status_url).status_code == 404
    assert client.get(progress_url(status_url)).status_code == 404
    # Nor does a made-up job, or another kind of task.
    sweep = DBTaskResult.objects.filter(task_path=SWEEP_TASK).first()
    assert client.get(f"{IMPORT_URL}jobs/{sweep.pk}/").status_code == 404
    missing = f"{IMPORT_URL}jobs/00000000-0000-4000-8000-000000000000/"
    assert client.get(missing).status_code == 404


@pytest.mark.parametrize("member", ["outsider", "caseworker_a", "national_manager", "staff"])
def test_people_who_are_not_administrators_never_reach_a_job(cast, as_user, tmp_path, member):
    status_url = confirm(as_user(cast.admin), upload(as_user(cast.admin), cases_file(tmp_path)))
    person = (
        UserFactory(username="staff_only", is_staff=True)
        if member == "staff"
        else getattr(cast, member)
    )
    client = as_user(person)

    for url in (status_url, progress_url(status_url)):
        response = client.get(url)
        # The whole admin is for superusers: everyone else is sent to its login page.
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


# The uploaded file lives as short a time as possible. --------------------------------------------


def test_the_upload_is_readable_by_the_application_only(cast, as_user, tmp_path, upload_folder):
    token = upload(as_user(cast.admin), cases_file(tmp_path))

    mode = (upload_folder / f"{token}.csv").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(upload_folder.stat().st_mode) == 0o700


def test_the_file_is_deleted_after_success(cast, as_user, tmp_path, upload_folder):
    client = as_user(cast.admin)
    confirm(client, upload(client, cases_file(tmp_path)))
    assert list(upload_folder.glob("*.csv"))

    run_jobs()

    assert Case.objects.count() == 2
    assert not list(upload_folder.iterdir())


def test_the_file_is_deleted_after_a_failure(cast, as_user, tmp_path, upload_folder):
    client = as_user(cast.admin)
    confirm(client, upload(client, cases_file(tmp_path, EDAD_VICTIMA=130)))

    run_jobs()

    assert not Case.objects.exists()
    assert not list(upload_folder.iterdir())


def test_the_file_is_deleted_on_cancel(cast, as_user, tmp_path, upload_folder):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))

    client.post(reverse("admin:csv_import_cancel", args=[token]))

    assert not list(upload_folder.iterdir())
    # Nobody else cancels it for her.
    other = upload(client, cases_file(tmp_path))
    client.logout()
    client.force_login(get_user_model().objects.create_superuser("other", password="x" * 12))
    assert client.post(reverse("admin:csv_import_cancel", args=[other])).status_code == 404
    assert (upload_folder / f"{other}.csv").exists()


def test_a_file_the_preview_cannot_read_is_deleted(cast, as_user, tmp_path, upload_folder):
    client = as_user(cast.admin)
    empty = tmp_path / "vacio.csv"
    empty.write_bytes(b"\n")
    token = upload(client, empty)

    run_jobs()  # the check finds it unreadable

    assert not list(upload_folder.iterdir())
    answer = client.get(reverse("admin:csv_import_preview", args=[token]))
    assert answer.status_code == 302
    assert answer["Location"] == IMPORT_URL
    assert token not in client.session[SESSION_KEY]


def test_uploads_older_than_an_hour_are_swept_at_upload_and_preview(
    cast, as_user, tmp_path, upload_folder
):
    client = as_user(cast.admin)
    abandoned = upload(client, cases_file(tmp_path))
    age(upload_folder / f"{abandoned}.csv", MAX_AGE_SECONDS + 1)
    recent = upload(client, cases_file(tmp_path))

    assert not (upload_folder / f"{abandoned}.csv").exists()
    assert (upload_folder / f"{recent}.csv").exists()

    age(upload_folder / f"{recent}.csv", MAX_AGE_SECONDS + 1)
    answer = client.get(reverse("admin:csv_import_preview", args=[recent]), follow=True)

    assert not list(upload_folder.iterdir())
    assert spanish(upload_gone_message) in answer.content.decode()


def test_each_upload_enqueues_the_sweep_that_deletes_it_if_abandoned(
    cast, as_user, tmp_path, upload_folder
):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))
    sweep = DBTaskResult.objects.get(task_path=SWEEP_TASK)
    due = sweep.run_after - timezone.now()
    assert timedelta(seconds=MAX_AGE_SECONDS) < due < timedelta(seconds=MAX_AGE_SECONDS + 120)

    run_jobs()  # not due yet
    assert (upload_folder / f"{token}.csv").exists()

    # An hour later, nobody has come back to it.
    age(upload_folder / f"{token}.csv", MAX_AGE_SECONDS + 1)
    DBTaskResult.objects.filter(pk=sweep.pk).update(run_after=timezone.now())
    run_jobs()

    assert not list(upload_folder.iterdir())
    sweep.refresh_from_db()
    assert (sweep.status, sweep.return_value) == ("SUCCESSFUL", 1)


def test_a_confirmed_upload_waits_for_the_worker_not_for_the_sweep(
    cast, as_user, tmp_path, upload_folder
):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path))
    age(upload_folder / f"{token}.csv", MAX_AGE_SECONDS - 10)

    confirm(client, token)
    sweep_old_uploads(now=time.time() + 20)

    assert (upload_folder / f"{token}.csv").exists()


def test_the_uploads_are_never_served(cast, as_user, tmp_path, upload_folder):
    token = upload(as_user(cast.admin), cases_file(tmp_path))
    default = (Path(settings.BASE_DIR) / "var" / "imports").resolve()

    served = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    if settings.MEDIA_ROOT:
        served.append(Path(settings.MEDIA_ROOT))
    for folder in served:
        assert not default.is_relative_to(folder.resolve())
    for url in (
        f"/static/{token}.csv",
        f"/static/imports/{token}.csv",
        f"/var/imports/{token}.csv",
        f"/media/{token}.csv",
    ):
        assert as_user(cast.admin).get(url).status_code == 404


# The real worker: `manage.py db_worker`, outside any test transaction. ---------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_stores_a_confirmed_import(cast, as_user, tmp_path, upload_folder):
    client = as_user(cast.admin)
    token = upload(client, cases_file(tmp_path, count=3))
    status_url = confirm(client, token)

    run_jobs()

    assert Case.objects.count() == 3
    assert job_of(status_url).status == "SUCCESSFUL"
    assert client.get(progress_url(status_url)).json()["state"] == "stored"
    assert not list(upload_folder.iterdir())


def worker_process(upload_folder: Path) -> subprocess.Popen:
    """`manage.py db_worker --batch` in a process of its own, on the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    script = (
        "import sys, django; django.setup();"
        "from django.conf import settings; settings.CSV_IMPORT_DIR = sys.argv[1];"
        "from django.core.management import call_command;"
        "call_command('db_worker', batch=True, reload=False, startup_delay=False, interval=0)"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, str(upload_folder)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_stores_while_the_web_follows_its_progress(
    cast, as_user, tmp_path, upload_folder
):
    client = as_user(cast.admin)
    count = 6000
    status_url = confirm(client, upload(client, cases_file(tmp_path, count=count)))

    worker = worker_process(upload_folder)
    seen = []
    while worker.poll() is None:
        seen.append(client.get(progress_url(status_url)).json())
        time.sleep(0.05)
    log = worker.stdout.read().decode()

    assert worker.returncode == 0, log
    assert Case.objects.count() == count
    # While it runs, the web process reads how far it is (its first and last instants aside,
    # when its progress file is not there yet, or no longer).
    running = [answer for answer in seen if answer["state"] == "running" and answer["total"]]
    assert running, seen
    assert {answer["total"] for answer in running} == {count}
    checked = [answer["done"] for answer in running]
    assert checked == sorted(checked)
    assert client.get(progress_url(status_url)).json()["state"] == "stored"
    assert not list(upload_folder.iterdir())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirmations_enqueue_one_job(cast, tmp_path, client):
    import threading

    from django.db import connections
    from django.test import Client

    client.force_login(cast.admin)
    token = upload(client, cases_file(tmp_path))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    barrier = threading.Barrier(2)
    answers = []

    def click():
        browser = Client()
        browser.cookies[settings.SESSION_COOKIE_NAME] = cookie
        barrier.wait()
        try:
            answers.append(browser.post(reverse("admin:csv_import_confirm", args=[token])))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    locations = {answer["Location"] for answer in answers if answer.status_code == 302}
    assert DBTaskResult.objects.filter(task_path=STORE_TASK).count() == 1
    assert len(locations) == 1
    run_jobs()
    assert Case.objects.count() == 2


def test_the_job_returns_json_without_any_cell_value(cast, as_user, tmp_path):
    client = as_user(cast.admin)
    status_url = confirm(client, upload(client, cases_file(tmp_path, EDAD_VICTIMA=130)))
    run_jobs()

    outcome = job_of(status_url).return_value

    assert json.loads(json.dumps(outcome)) == outcome
    assert outcome["errors"][0]["line"] == 2
    assert "130" not in json.dumps(outcome)
    assert store_csv_import.get_result(str(job_of(status_url).pk)).return_value == outcome


def test_confirming_schedules_a_sweep_after_the_files_new_hour(cast, as_user, tmp_path):
    """Confirming restarts the file's hour; a sweep due after it removes the file even if the
    worker dies before its job deletes it (the upload's own sweep would find it too young)."""
    admin = as_user(cast.admin)
    token = upload(admin, cases_file(tmp_path))
    before = DBTaskResult.objects.filter(task_path=SWEEP_TASK).count()

    confirm(admin, token)

    assert DBTaskResult.objects.filter(task_path=SWEEP_TASK).count() == before + 1
