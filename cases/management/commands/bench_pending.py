"""Time the pending list ("Mis pendientes") of one service, against a naive query of the same.

    python manage.py bench_pending [--runs 25] [--service CODE]

It picks the service with the most pending items (overdue or due today), logs in a caseworker of
it (creating the user `bench-pending` if the service has none) and prints the median time of:

- the page, GET of the URL named "pending_list" with `?service=<code>` through the test client
  (session, login, scope, query, template: everything but the network), its query count and the
  items it shows;
- `cases.clock.pending_items(services=[service])` alone, and its query count;
- a naive baseline, measured in the same run: the SQL a peer would write first, every pending
  complaint and follow-up of the service found through a join to its cases (so the partial
  indexes on the rows' own service cannot serve it), filtered and sorted in SQL, all of them read.

and the ratio of the page to the baseline. The goal (issue 11): the page under 50 ms with
1,000,000 cases on PostgreSQL (`make bench`).
"""

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases import clock
from cases.models import Case, Complaint, FollowUp
from services.models import CareService, StaffAssignment

GOAL_MS = 50
BENCH_USER = "bench-pending"


def naive_sql() -> str:
    """Pending complaints and follow-ups of a service found through their cases: what a first
    version would ask, with no use of the rows' own service column and its partial index."""
    table = connection.ops.quote_name
    complaints, follow_ups, cases = (
        table(model._meta.db_table) for model in (Complaint, FollowUp, Case)
    )
    # Only the models' own table names, quoted, are formatted into the SQL.
    return (
        f"SELECT 'complaint', x.id, x.deadline, c.code FROM {complaints} x "  # noqa: S608
        f"JOIN {cases} c ON c.id = x.case_id "
        "WHERE c.service_id = %s AND x.settled_at IS NULL AND x.deadline < %s "
        "UNION ALL "
        f"SELECT 'follow_up', f.id, f.due_on, c.code FROM {follow_ups} f "
        f"JOIN {cases} c ON c.id = f.case_id "
        "WHERE c.service_id = %s AND f.closed_at IS NULL AND f.due_on <= %s "
        "ORDER BY 3, 2"
    )


def median_ms(run: Callable[[], object], runs: int) -> tuple[float, int, object]:
    """The median wall time of `run` in ms, its query count and its last result."""
    run()  # warm caches, as a second visitor finds them
    times, result, queries = [], None, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return statistics.median(times) * 1000, queries, result


class Command(BaseCommand):
    help = "Print the median time of one service's pending list, and of a naive query of it."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=25)
        parser.add_argument("--service", help="A service's code (default: the most pending).")

    def handle(self, *args, runs: int, service: str | None, **options):
        now = timezone.now()
        chosen = self.service(service, now)
        user = self.caseworker_of(chosen)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        self.stdout.write(
            f"{connection.vendor}, {Case.objects.count():,} cases; service {chosen.code}, "
            f"median of {runs} runs"
        )

        pending = clock.pending_items(services=[chosen.pk], now=now)
        self.stdout.write(
            f"pending in {chosen.code}: {pending.overdue:,} overdue, {pending.due_today:,} due "
            f"today ({len(pending.items)} shown at most {clock.PENDING_LIMIT})"
        )
        page_ms = None
        try:
            url = reverse("pending_list") + f"?service={chosen.code}"
        except NoReverseMatch:
            self.stdout.write("the page (URL name pending_list) does not exist yet: not timed")
        else:

            def page():
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
                return response

            page_ms, queries, _response = median_ms(page, runs)
            self.stdout.write(
                f"{'page GET ' + url:<52} {page_ms:8.1f} ms {queries:3d} queries "
                f"{len(pending.items):5d} items shown"
            )

        clock_ms, queries, result = median_ms(
            lambda: clock.pending_items(services=[chosen.pk]), runs
        )
        self.stdout.write(
            f"{'cases.clock.pending_items(services=[service])':<52} {clock_ms:8.1f} ms "
            f"{queries:3d} queries {len(result.items):5d} items"
        )

        end_of_today = clock.start_of_day(clock.today(now) + timedelta(days=1))
        params = [chosen.pk, end_of_today, chosen.pk, clock.today(now)]

        def naive():
            with connection.cursor() as cursor:
                cursor.execute(naive_sql(), params)
                return cursor.fetchall()

        naive_ms, queries, rows = median_ms(naive, runs)
        self.stdout.write(
            f"{'naive SQL (through the cases, every row)':<52} {naive_ms:8.1f} ms "
            f"{queries:3d} queries {len(rows):5d} rows"
        )
        measured = page_ms if page_ms is not None else clock_ms
        what = "page" if page_ms is not None else "pending_items"
        ratio = measured / naive_ms if naive_ms else float("nan")
        verdict = "met" if measured < GOAL_MS else "NOT met"
        self.stdout.write(
            f"ratio {what} / naive: {ratio:.2f}; goal (under {GOAL_MS} ms): {verdict}"
        )

    def service(self, code: str | None, now) -> CareService:
        """The service asked for, or the one with the most pending items."""
        if code:
            found = CareService.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"No service has the code {code}.")
            return found
        counts = [
            (clock.pending_count(services=[service.pk], now=now), service.code, service)
            for service in CareService.objects.filter(
                kind__in=[CareService.Kind.SAR, CareService.Kind.CEM]
            )
        ]
        if not counts or max(counts)[0] == 0:
            raise CommandError("No service has pending items: run seed_demo --cases N first.")
        return max(counts, key=lambda entry: (entry[0], entry[1]))[2]

    def caseworker_of(self, service: CareService):
        """A caseworker of `service`: one it has, or the bench user assigned to it."""
        assignment = (
            StaffAssignment.objects.filter(
                service=service, role=StaffAssignment.Role.CASEWORKER, user__is_active=True
            )
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if assignment is not None:
            return assignment.user
        user, _created = get_user_model().objects.get_or_create(username=BENCH_USER)
        user.set_unusable_password()
        user.is_active = True
        user.save()
        StaffAssignment.objects.get_or_create(
            user=user, role=StaffAssignment.Role.CASEWORKER, service=service
        )
        return user
