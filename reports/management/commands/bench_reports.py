"""Time each report's JSON answer against the bare SQL that gives the same numbers.

    python manage.py bench_reports [--runs 15] [--year 2025]

For each report it prints the median time of the Django view (through the test client, as a
national manager, so scoping, filters and JSON encoding are included), the median time of the
report's own SQL statements run bare on a cursor, their ratio, what the view adds (session,
login, scope, encoding: a few milliseconds whatever the data), and the view's query count.
"""

import re
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from reports.queries import DIMENSIONS

# Queries every request makes whatever the page: the session, the user, her assignments, and
# the session's new expiry (an UPDATE). They are not the report's SQL.
PLUMBING = ("django_session", "auth_user", "services_staffassignment")
SERVER_CURSOR = re.compile(r"^DECLARE .*? CURSOR WITH(?:OUT)? HOLD FOR ", re.DOTALL)


class Command(BaseCommand):
    help = "Print, per report, the median time of the JSON view and of its bare SQL."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=15)
        parser.add_argument(
            "--year", type=int, default=None, help="Report period (default: the last full year)."
        )

    def handle(self, *args, runs: int, year: int | None, **options):
        year = year or timezone.localdate().year - 1
        user = (
            get_user_model()
            .objects.filter(assignments__role="manager", assignments__region__isnull=True)
            .first()
        )
        if user is None:
            raise CommandError("No national manager: run seed_demo first.")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        reports = [
            f"/reports/rural-coverage/?year={year}&format=json",
            f"/reports/shelters/?year={year}&format=json",
            f"/reports/network/?year={year}&format=json",
            *[f"/reports/cases/?by={by}&year={year}&format=json" for by in DIMENSIONS],
            f"/reports/protection/?year={year}&format=json",
        ]
        self.stdout.write(
            f"{connection.vendor}, {Case.objects.count():,} cases, period {year}, "
            f"median of {runs} runs\n"
        )
        self.stdout.write(
            f"{'report':<34} {'view ms':>8} {'SQL ms':>8} {'ratio':>6} {'extra ms':>8} "
            f"{'queries':>7}"
        )
        for url in reports:
            client.get(url)  # warm caches, as a second visitor would find them
            view_times, sql = [], []
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    view_times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
                sql = [q["sql"] for q in captured.captured_queries]
            # A query read with .iterator() runs as a server-side cursor: time its SELECT.
            statements = [SERVER_CURSOR.sub("", s) for s in sql]
            own = [
                s
                for s in statements
                if s.lstrip().upper().startswith("SELECT") and not any(t in s for t in PLUMBING)
            ]
            sql_times = []
            with connection.cursor() as cursor:
                for _ in range(runs):
                    started = time.perf_counter()
                    for statement in own:
                        cursor.execute(statement)
                        cursor.fetchall()
                    sql_times.append(time.perf_counter() - started)
            view_ms = statistics.median(view_times) * 1000
            sql_ms = statistics.median(sql_times) * 1000
            ratio = view_ms / sql_ms if sql_ms else float("nan")
            name = url.split("?")[0] + (
                f"?by={url.split('by=')[1].split('&')[0]}" if "by=" in url else ""
            )
            self.stdout.write(
                f"{name:<34} {view_ms:>8.1f} {sql_ms:>8.1f} {ratio:>6.2f} "
                f"{view_ms - sql_ms:>8.1f} {len(sql):>7}"
            )
