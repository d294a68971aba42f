"""The legal clock on PostgreSQL: real row locks between closing and filing, and the partial
indexes that keep a service's pending list fast whatever the number of cases."""

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import actions, clock
from cases.actions import CaseClosedError, PendingItemsError
from cases.models import Case, Complaint, FollowUp
from services.models import CareService
from tests.factories import CareServiceFactory, CaseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LIMA = ZoneInfo("America/Lima")


def file(case, user=None, **extra) -> Complaint:
    now = timezone.now()
    return actions.file_complaint(
        case=case,
        user=user,
        filed_at=now - timedelta(hours=1),
        place=Complaint.Place.POLICE,
        filed_by=Complaint.FiledBy.VICTIM,
        now=now,
        **extra,
    )


def close(case, user=None):
    return actions.close_case(
        case=case, user=user, closed_on=clock.today(), reason=Case.ClosureReason.COMPLETED
    )


class Worker(threading.Thread):
    """Runs `work` on its own connection; keeps what it returned or raised."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.work()
        except Exception as error:  # noqa: BLE001 - checked by the test
            self.error = error
        finally:
            connections.close_all()


def wait_until_blocked_or_done(worker: Worker) -> None:
    """Return once some other connection waits for a lock, or `worker` has finished (as it
    does when nothing makes it wait: that is what the tests below must catch)."""
    give_up = time.monotonic() + 60
    while worker.is_alive():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        assert time.monotonic() < give_up, "the worker neither waited nor finished"
        time.sleep(0.01)


def hold_open_while(first, then) -> tuple[Worker, Worker]:
    """Run `first` in a transaction that stays open until `then`, started meanwhile, either
    waits for a lock or finishes; then let `first` commit, and wait for both."""
    done_first, release = threading.Event(), threading.Event()

    def held():
        with transaction.atomic():
            result = first()
            done_first.set()
            assert release.wait(60)
        return result

    holder = Worker(held)
    holder.start()
    give_up = time.monotonic() + 60
    while not done_first.wait(0.01):
        assert holder.is_alive(), holder.error
        assert time.monotonic() < give_up, "the first write never finished"
    follower = Worker(then)
    follower.start()
    wait_until_blocked_or_done(follower)
    release.set()
    holder.join(60)
    follower.join(60)
    assert not holder.is_alive() and not follower.is_alive()
    return holder, follower


def assert_never_closed_with_pending(case) -> None:
    case.refresh_from_db()
    if case.is_closed:
        assert not clock.open_items_of_case(case)


def test_a_close_waits_for_a_complaint_being_filed_and_then_is_refused(cast):
    case = CaseFactory(service=cast.service_a)
    filing, closing = hold_open_while(lambda: file(case), lambda: close(case))

    assert filing.error is None and isinstance(filing.result, Complaint)
    assert isinstance(closing.error, PendingItemsError), closing.error or closing.result
    assert [item.pk for item in closing.error.items] == [filing.result.pk]
    case.refresh_from_db()
    assert not case.is_closed and case.complaint_filed is True


def test_a_complaint_filed_while_the_case_is_being_closed_is_refused(cast):
    case = CaseFactory(service=cast.service_a)
    closing, filing = hold_open_while(lambda: close(case), lambda: file(case))

    assert closing.error is None and closing.result.is_closed
    assert isinstance(filing.error, CaseClosedError), filing.error or filing.result
    assert not Complaint.objects.filter(case=case).exists()
    assert_never_closed_with_pending(case)


def test_a_follow_up_scheduled_while_the_case_is_being_closed_is_refused(cast):
    case = CaseFactory(service=cast.service_a)

    def schedule():
        return actions.schedule_follow_up(
            case=case, user=None, kind=FollowUp.Kind.CALL, due_on=clock.today()
        )

    closing, scheduling = hold_open_while(lambda: close(case), schedule)

    assert closing.error is None
    assert isinstance(scheduling.error, CaseClosedError), scheduling.error or scheduling.result
    assert not FollowUp.objects.filter(case=case).exists()


def test_closing_and_filing_at_once_never_leave_a_closed_case_with_a_pending_complaint(cast):
    outcomes = set()
    for _round in range(12):
        case = CaseFactory(service=cast.service_a)
        barrier = threading.Barrier(2, timeout=60)

        def at_once(work, case=case, barrier=barrier):
            barrier.wait()
            return work(case)

        filing = Worker(lambda at_once=at_once: at_once(file))
        closing = Worker(lambda at_once=at_once: at_once(close))
        for worker in (filing, closing):
            worker.start()
        for worker in (filing, closing):
            worker.join(60)
            assert not worker.is_alive()

        # One of the two went first; the other was refused, never both done.
        if filing.error is None:
            assert isinstance(closing.error, PendingItemsError), closing.error
            outcomes.add("filed")
        else:
            assert isinstance(filing.error, CaseClosedError), filing.error
            assert closing.error is None
            outcomes.add("closed")
        assert_never_closed_with_pending(case)
    assert outcomes <= {"filed", "closed"}


# The partial indexes ------------------------------------------------------------------------


def test_the_pending_indexes_are_partial_on_pending_rows():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE indexname IN ('complaint_pending_idx', 'follow_up_pending_idx')"
        )
        definitions = dict(cursor.fetchall())
    assert "(service_id, deadline)" in definitions["complaint_pending_idx"]
    assert "WHERE (settled_at IS NULL)" in definitions["complaint_pending_idx"]
    assert "(service_id, due_on)" in definitions["follow_up_pending_idx"]
    assert "WHERE (closed_at IS NULL)" in definitions["follow_up_pending_idx"]


def _many_rows(services: list[CareService], per_service: int) -> None:
    """`per_service` complaints and follow-ups for each service, one in 50 still pending."""
    now = timezone.now()
    complaints, follow_ups = [], []
    for service in services:
        case = CaseFactory(service=service)
        for n in range(per_service):
            filed_at = now - timedelta(days=400) + timedelta(minutes=7 * n)
            pending = n % 50 == 0
            complaints.append(
                Complaint(
                    case=case,
                    service=service,
                    filed_at=filed_at,
                    deadline=filed_at + timedelta(hours=24),
                    place="police",
                    filed_by="victim",
                    settled_at=None if pending else filed_at + timedelta(hours=20),
                )
            )
            follow_ups.append(
                FollowUp(
                    case=case,
                    service=service,
                    kind="call",
                    due_on=filed_at.date(),
                    closed_at=None if pending else filed_at,
                    done_on=None if pending else filed_at.date(),
                )
            )
    Complaint.objects.bulk_create(complaints, batch_size=2000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_complaint")
        cursor.execute("ANALYZE cases_followup")


def _plans(run) -> list[tuple[str, str]]:
    """The SQL `run` sends, each with its plan (sequential scans discouraged, as on a large
    table where reading everything is never the cheaper way)."""
    with CaptureQueriesContext(connection) as queries:
        run()
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
    return plans


@pytest.mark.parametrize("scope", ["ids", "queryset"])
def test_a_services_pending_list_reads_the_partial_indexes(cast, scope):
    services = [cast.service_a, cast.service_b, *CareServiceFactory.create_batch(3)]
    _many_rows(services, per_service=1000)
    ids = [cast.service_a.pk]
    chosen = ids if scope == "ids" else CareService.objects.filter(pk__in=ids)
    now = datetime.now(tz=LIMA)

    pending = clock.pending_items(services=chosen, now=now)
    # 1000 complaints and 1000 follow-ups of the service, 1 in 50 pending (and overdue).
    assert (pending.total, pending.overdue, len(pending.items)) == (40, 40, 40)
    assert {item.service_code for item in pending.items} == {cast.service_a.code}
    assert clock.pending_count(services=chosen, now=now) == 40

    plans = _plans(lambda: clock.pending_items(services=chosen, now=now))
    plans += _plans(lambda: clock.pending_count(services=chosen, now=now))
    assert len(plans) == 5
    for sql, plan in plans:
        if '"cases_complaint"' in sql:
            assert "complaint_pending_idx" in plan, plan
        if '"cases_followup"' in sql:
            assert "follow_up_pending_idx" in plan, plan
    assert sum('"cases_complaint"' in sql for sql, _plan in plans) == 3
    assert sum('"cases_followup"' in sql for sql, _plan in plans) == 3


def test_the_whole_networks_list_also_reads_only_pending_rows(cast):
    _many_rows([cast.service_a, cast.service_b], per_service=1000)
    now = datetime.now(tz=LIMA)
    assert clock.pending_items(now=now).total == 80
    assert clock.pending_count(services=None, now=now) == 80
    for sql, plan in _plans(lambda: clock.pending_items(now=now)):
        assert ("complaint_pending_idx" in plan) or ("follow_up_pending_idx" in plan), (sql, plan)


def test_an_import_locks_its_open_cases_before_storing_a_pending_complaint(
    cast, tmp_path, monkeypatch
):
    """Between its last check and its inserts, the measures import holds the lock of every
    case of the file, open ones included: a close arriving then waits, and is refused."""
    from cases.measure_importers import MeasureImporter
    from services.csvimport import run_import
    from tests.cases.test_import_measures import COLUMNS, requested
    from tests.csvfiles import write_csv

    case = CaseFactory(service=cast.service_a)
    path = write_csv(tmp_path / "medidas.csv", [requested(case)], columns=COLUMNS)
    checked, release = threading.Event(), threading.Event()
    create_complaints = MeasureImporter.create_complaints

    def paused(self):
        checked.set()  # the cases are locked and checked; nothing inserted yet
        assert release.wait(60)
        return create_complaints(self)

    monkeypatch.setattr(MeasureImporter, "create_complaints", paused)
    importing = Worker(lambda: run_import("measures", path))
    importing.start()
    assert checked.wait(60), importing.error
    closing = Worker(lambda: close(case))
    closing.start()
    wait_until_blocked_or_done(closing)
    release.set()
    importing.join(60)
    closing.join(60)

    assert importing.error is None, importing.error
    assert isinstance(closing.error, PendingItemsError), closing.error or closing.result
    assert_never_closed_with_pending(case)
    assert Complaint.objects.filter(case=case, settled_at__isnull=True).count() == 1
