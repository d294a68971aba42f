"""Report reads from a real PostgreSQL streaming replica, and the fall back to the primary.

The replica is started here, once per test process (each pytest-xdist worker has its own, on
a free port): `pg_basebackup -R -X stream` of the primary into a temporary folder, started with
`pg_ctl` as the postgres user; stopped and deleted at the end, also when a test fails. The
primary must accept replication connections from 127.0.0.1 (.ci/run adds the pg_hba.conf line).

The test database pytest-django made on the primary (test_<name>, one per worker) is replicated
like any other, and only committed rows reach the replica: these tests commit
(`transaction=True`). The "replica" database is not in settings.DATABASES while tests run: at
start-up pytest-django would try to create a test database on it (a standby refuses), and every
test case not naming it would forbid its use; naming it, the test case would flush it after the
test (the standby refuses too), and it must exist before the standby does. Instead each test
puts a connection under `connections["replica"]` itself, outside settings (Django lets a test
use such a connection): the primary's test settings (same NAME, the test database) on the
standby's port, removed after the test. With DATABASE_REPLICA_URL set, config/settings.py uses
`TEST: {"MIRROR": "default"}` to the same end: the test NAME, nothing created.
"""

import copy
import fcntl
import logging
import os
import runpy
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from config import replica
from config.routers import ReplicaRouter, is_report_data
from services.models import RefusedAccess, StaffAssignment
from tests.factories import CaseFactory

URL = "/reports/cases/"
SETTINGS = Path(settings.BASE_DIR) / "config" / "settings.py"
# The settings a standby must have at least as high as its primary, or it refuses to start.
AT_LEAST_THE_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


# -- Without a replica: nothing changes (SQLite and PostgreSQL) -------------------------------


def load_settings(monkeypatch, **environ) -> dict:
    """config/settings.py run afresh under these environment variables: its names."""
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_without_a_replica_url_there_is_no_replica_database(monkeypatch):
    loaded = load_settings(monkeypatch)
    assert list(loaded["DATABASES"]) == ["default"]
    assert loaded["DATABASE_ROUTERS"] == ["config.routers.ReplicaRouter"]
    assert "replica" not in settings.DATABASES  # the suite itself runs without one


def test_the_replica_url_is_read_like_the_database_url(monkeypatch):
    loaded = load_settings(
        monkeypatch, DATABASE_REPLICA_URL="postgres://reader@10.0.0.9:5433/warmi?sslmode=require"
    )
    replica_db = loaded["DATABASES"]["replica"]
    assert replica_db["ENGINE"] == "django.db.backends.postgresql"
    assert (replica_db["HOST"], replica_db["PORT"], replica_db["NAME"]) == (
        "10.0.0.9",
        5433,
        "warmi",
    )
    # A replica that does not answer must not hold a report for long.
    assert replica_db["OPTIONS"] == {"sslmode": "require", "connect_timeout": 2}
    assert replica_db["TEST"] == {"MIRROR": "default"}
    assert loaded["DATABASE_REPLICA_MAX_LAG_BYTES"] == 0


def test_a_replica_that_is_not_postgresql_is_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        load_settings(monkeypatch, DATABASE_REPLICA_URL="sqlite:////tmp/elsewhere.sqlite3")


def test_the_router_sends_everything_to_the_primary_outside_report_requests():
    router = ReplicaRouter()
    assert replica.reads_from() is None
    for model in (Case, User, Session, RefusedAccess):
        assert router.db_for_read(model) == DEFAULT_DB_ALIAS
        assert router.db_for_write(model) == DEFAULT_DB_ALIAS
    assert router.allow_migrate("replica", "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None


def test_only_report_data_may_be_read_from_the_replica():
    from django_tasks_db.models import DBTaskResult

    from cases.models import AuditEntry, CaseSequence, DocumentCheck
    from services.models import CareService, Submission
    from shelters.models import ShelterLog, Stay

    assert all(is_report_data(model) for model in (Case, CareService, Stay))
    never = (User, Session, RefusedAccess, Submission, AuditEntry, DocumentCheck, CaseSequence)
    assert not any(is_report_data(model) for model in (*never, ShelterLog, DBTaskResult))
    # Who may read what is read fresh, whatever lag the replica is allowed.
    assert not is_report_data(StaffAssignment)


def test_an_anonymous_report_request_asks_neither_server(client, monkeypatch):
    """The replica check runs for signed-in people only: a stranger's request to /reports/
    makes the application ask neither server where the WAL stands."""

    def must_not_run():
        raise AssertionError("the replica was checked for an anonymous request")

    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "replica_is_current", must_not_run)
    response = client.get(URL, {"by": "month"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_during_a_report_request_only_report_data_reads_from_the_replica():
    router = ReplicaRouter()
    with reading_replica():
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS
        assert router.db_for_read(RefusedAccess) == DEFAULT_DB_ALIAS
        # A write goes to the primary, and the request then reads its own writes there.
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS


@contextmanager
def reading_replica():
    token = replica._reads_from.set(replica.REPLICA)
    try:
        yield
    finally:
        replica._reads_from.reset(token)


def test_a_report_request_without_a_replica_reads_the_primary(cast, as_user):
    CaseFactory(service=cast.service_a)
    client = as_user(cast.national_manager)
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        response = client.get(URL, {"by": "month", "year": 2023})
    assert response.status_code == 200
    assert response.context["data"]["total"] == 1
    assert any("reports_rollup" in query["sql"] for query in primary.captured_queries)


# -- A real streaming replica (PostgreSQL) ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command: str) -> list[str]:
    """The command run as the postgres OS user, which must own a cluster's files."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def primary_setting(name: str) -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def base_backup(bin_dir: Path, primary: dict, data: Path, attempts: int = 3) -> None:
    """pg_basebackup of the primary into `data`, one test process at a time.

    Two backups at once (pytest-xdist workers) each ask for an immediate checkpoint, and
    PostgreSQL 15 may then end the other's WAL stream ("terminating process ... to release
    replication slot"): the backups take turns under a lock, and one that is cut is retried.
    """
    command = as_postgres(
        str(bin_dir / "pg_basebackup"),
        *("-h", primary["HOST"] or "127.0.0.1", "-p", str(primary["PORT"] or 5432)),
        *("-U", primary["USER"] or "postgres", "-D", str(data)),
        *("-R", "-X", "stream", "--checkpoint=fast"),
    )
    with open(Path(tempfile.gettempdir()) / "warmi-replica.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for attempt in range(attempts):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode == 0:
                return
            assert attempt + 1 < attempts, f"pg_basebackup: {done.stderr.strip()}"
            shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    """A hot standby of the primary on a free port, for this test process: (host, port)."""
    with django_db_blocker.unblock():
        primary = connections[DEFAULT_DB_ALIAS].settings_dict
        version = primary_setting("server_version_num")[:-4]
        minimums = {name: primary_setting(name) for name in AT_LEAST_THE_PRIMARY}
    bin_dir = Path(f"/usr/lib/postgresql/{version}/bin")
    folder = Path(tempfile.mkdtemp(prefix="warmi-replica-"))
    data, log = folder / "data", folder / "replica.log"
    shutil.chown(folder, "postgres", "postgres")
    started = False
    try:
        base_backup(bin_dir, primary, data)
        # Debian keeps the configuration outside the data folder: the standby gets its own.
        port = free_port()
        conf = [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{folder}'",
            "hot_standby = on",
            "fsync = off",
            "shared_buffers = 16MB",
            *(f"{name} = {value}" for name, value in minimums.items()),
        ]
        (data / "postgresql.conf").write_text("\n".join(conf) + "\n")
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        for path in (data / "postgresql.conf", data / "pg_hba.conf", data / "pg_ident.conf"):
            shutil.chown(path, "postgres", "postgres")
        started = True
        start = as_postgres(
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "120", "start"
        )
        done = subprocess.run(start, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"the replica did not start: {log.read_text()[-2000:]}"
        yield ("127.0.0.1", port)
    finally:
        if started:
            subprocess.run(
                as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def replica_db(transactional_db, streaming_replica):
    """The "replica" database, on the standby, for one test; caught up with the primary."""
    host, port = streaming_replica
    alias = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    alias.update(HOST=host, PORT=port, CONN_MAX_AGE=0, TEST={"MIRROR": DEFAULT_DB_ALIAS})
    alias["OPTIONS"] = {**alias["OPTIONS"], "connect_timeout": 2}
    standby = load_backend(alias["ENGINE"]).DatabaseWrapper(alias, replica.REPLICA)
    connections[replica.REPLICA] = standby
    replica.forget_unreachable()
    try:
        wait_until_replayed()
        yield standby
    finally:
        try:
            set_replay_paused(False)
        finally:
            standby.close()
            del connections[replica.REPLICA]
            replica.forget_unreachable()


def one(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_until_replayed(timeout: float = 30.0) -> None:
    """Until the replica has replayed everything the primary has committed so far."""
    target = replica.lsn(one(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn()::text"))
    deadline = time.monotonic() + timeout
    while replica.lsn(one("replica", "SELECT pg_last_wal_replay_lsn()::text")) < target:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def set_replay_paused(paused: bool) -> None:
    if not paused:
        one("replica", "SELECT pg_wal_replay_resume()::text")
        return
    one("replica", "SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + 30
    while one("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "the replica did not pause"
        time.sleep(0.05)


def reads_of(captured, table: str = "reports_rollup") -> list[str]:
    return [query["sql"] for query in captured.captured_queries if table in query["sql"]]


def writes_of(captured) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
    return [query["sql"] for query in captured.captured_queries if query["sql"].startswith(verbs)]


def cases_report(client, *, replica_up=True):
    """The report as a person in scope sees it, and the queries each database answered."""
    # Capturing connects first, which a replica that is down would refuse.
    standby_capture = (
        CaptureQueriesContext(connections[replica.REPLICA]) if replica_up else nullcontext()
    )
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        standby_capture as standby,
    ):
        response = client.get(URL, {"by": "month", "year": 2023})
    assert response.status_code == 200
    assert replica.reads_from() is None  # the request's choice ends with it
    return response.context["data"], primary, standby


def replica_report(client, attempts: int = 10):
    """The report once it was read from the replica, which is current once it has caught up.

    Other tests (another pytest-xdist worker) commit on the same primary at any moment: a
    commit between the catching up and the request's check sends that request, rightly, to the
    primary. Such a request is exact too; the next one is tried.
    """
    for _ in range(attempts):
        wait_until_replayed()
        data, primary, standby = cases_report(client)
        if reads_of(standby):
            return data, primary, standby
    pytest.fail("the report was never read from the replica")


@pytest.fixture
def national(cast, as_user):
    return as_user(cast.national_manager)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_report_reads_from_the_replica_and_answers_the_primarys_numbers(
    replica_db, cast, national
):
    CaseFactory(service=cast.service_a)
    CaseFactory(service=cast.service_b, victim_sex=1)
    wait_until_replayed()
    assert one("replica", "SELECT pg_is_in_recovery()") is True

    data, primary, standby = replica_report(national)

    assert data["total"] == Case.objects.count() == 2
    assert reads_of(standby), "the report was not read from the replica"
    assert not reads_of(primary)
    # The primary was asked only for its WAL position, the user and the session.
    assert any("pg_current_wal_lsn" in sql["sql"] for sql in primary.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writes_of_a_report_request_go_to_the_primary_and_new_cases_appear_once_replayed(
    replica_db, cast, national
):
    CaseFactory(service=cast.service_a)
    wait_until_replayed()
    data, primary, standby = cases_report(national)
    assert data["total"] == 1
    assert not writes_of(standby)
    assert any("django_session" in sql for sql in writes_of(primary))  # saved every request

    CaseFactory(service=cast.service_a, intake_date=date(2023, 7, 1))
    data, primary, standby = replica_report(national)
    assert data["total"] == 2
    assert not reads_of(primary)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lagging_replica_is_not_read_and_the_report_stays_exact(
    replica_db, cast, national, caplog
):
    CaseFactory(service=cast.service_a)
    wait_until_replayed()
    set_replay_paused(True)
    CaseFactory(service=cast.service_b)  # committed on the primary, not replayed
    assert one("replica", "SELECT count(*) FROM cases_case") == 1

    with caplog.at_level(logging.WARNING, logger="config.replica"):
        data, primary, standby = cases_report(national)

    assert data["total"] == 2
    assert reads_of(primary)
    assert not reads_of(standby)
    assert "bytes of WAL behind" in caplog.text

    set_replay_paused(False)
    data, primary, standby = replica_report(national)
    assert data["total"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tolerated_lag_reads_the_replica(replica_db, cast, national, settings):
    """DATABASE_REPLICA_MAX_LAG_BYTES trades exactness for load: the replica is read behind."""
    CaseFactory(service=cast.service_a)
    wait_until_replayed()
    set_replay_paused(True)
    CaseFactory(service=cast.service_b)
    settings.DATABASE_REPLICA_MAX_LAG_BYTES = 1 << 40  # whatever else the primary writes

    data, primary, standby = cases_report(national)

    assert data["total"] == 1  # what the replica had replayed
    assert reads_of(standby)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_replica_that_is_down_leaves_reports_on_the_primary(replica_db, cast, national, caplog):
    CaseFactory(service=cast.service_a)
    wait_until_replayed()
    replica_db.close()
    real_port = replica_db.settings_dict["PORT"]
    replica_db.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        with caplog.at_level(logging.WARNING, logger="config.replica"):
            data, primary, _ = cases_report(national, replica_up=False)
        assert data["total"] == 1
        assert reads_of(primary)
        assert replica_db.connection is None  # closed: no broken connection is kept
        assert "cannot be reached (OperationalError)" in caplog.text

        # The next reports do not try again for a while: no connection attempt, no warning.
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="config.replica"):
            data, primary, _ = cases_report(national, replica_up=False)
        assert data["total"] == 1
        assert reads_of(primary)
        assert caplog.text == ""
    finally:
        replica_db.settings_dict["PORT"] = real_port

    # Back up: once the pause is over, reports read from it again.
    replica.forget_unreachable()
    data, primary, standby = replica_report(national)
    assert data["total"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_outside_the_reports_never_read_from_the_replica(replica_db, cast, national):
    CaseFactory(service=cast.service_a)
    wait_until_replayed()
    with CaptureQueriesContext(replica_db) as standby:
        response = national.get("/cases/")
    assert response.status_code == 200
    assert standby.captured_queries == []
