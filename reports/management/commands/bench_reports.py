"""Time each report's JSON answer against the naive SQL a peer would write for it.

    python manage.py bench_reports [--runs 15] [--year 2025]

For each report it prints the median time of the Django view (through the test client, as a
national manager, so scoping, filters, the rollup's reads and JSON encoding are included), the
median time, in the same run, of the naive SQL that gives the same figures: one `GROUP BY` (or
count) over the period's source rows, with no rollup; their ratio; and the view's query count.
The goal: each view at most 0.25× its naive SQL and under 50 ms. PostgreSQL only (the naive
SQL uses its functions).
"""

import statistics
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from services.benchguard import national_manager

AGE = (
    "CASE WHEN c.victim_age <= 5 THEN '0-5' WHEN c.victim_age <= 11 THEN '6-11' "
    "WHEN c.victim_age <= 17 THEN '12-17' WHEN c.victim_age <= 25 THEN '18-25' "
    "WHEN c.victim_age <= 35 THEN '26-35' WHEN c.victim_age <= 45 THEN '36-45' "
    "WHEN c.victim_age <= 59 THEN '46-59' ELSE '60+' END"
)
CASES = (
    "FROM cases_case c JOIN services_careservice s ON s.id = c.service_id "
    "WHERE c.intake_date BETWEEN %(start)s AND %(end)s"
)
ACTIVITIES = (
    "FROM activities_activity a JOIN services_careservice s ON s.id = a.service_id "
    "WHERE a.date BETWEEN %(start)s AND %(end)s AND a.cancelled_at IS NULL"
)
LIMA_DAY = "(c.filed_at AT TIME ZONE 'America/Lima')::date BETWEEN %(start)s AND %(end)s"
GROUP_BY = {
    "month": "date_trunc('month', c.intake_date)",
    "sex": "c.victim_sex",
    "age_group": AGE,
    "violence_type": "c.violence_type",
    "risk_level": "c.risk_level",
    "region": "substr(s.district_id, 1, 2)",
    "service_kind": "s.kind",
    "service": "s.code",
}
# The naive SQL of each report: the statements a peer would write, straight on the sources.
NAIVE = {
    "/reports/rural-coverage/": [
        "SELECT count(*), count(DISTINCT c.district_id), count(DISTINCT c.community_id), "
        "count(DISTINCT substr(c.district_id, 1, 4)), count(DISTINCT substr(c.district_id, 1, 2)) "
        f"{CASES} AND s.kind = 'SAR'",
        "SELECT count(*), sum(a.women + a.men + a.girls + a.boys), "
        f"count(DISTINCT a.district_id), count(DISTINCT a.community_id) {ACTIVITIES} "
        "AND s.kind = 'SAR'",
    ],
    "/reports/shelters/": [
        "SELECT count(DISTINCT person_id), count(*) FROM shelters_stay "
        "WHERE admitted_on <= %(end)s AND (discharged_on IS NULL OR discharged_on >= %(start)s)"
    ],
    "/reports/network/": [
        "SELECT kind, count(*) FROM services_careservice WHERE opened_on <= %(end)s "
        "AND (closed_on IS NULL OR closed_on >= %(start)s) GROUP BY kind"
    ],
    **{
        f"/reports/cases/?by={by}": [f"SELECT {expression}, count(*) {CASES} GROUP BY 1"]
        for by, expression in GROUP_BY.items()
    },
    "/reports/activities/?by=type": [
        f"SELECT a.type, count(*), sum(a.women + a.men + a.girls + a.boys) {ACTIVITIES} GROUP BY 1"
    ],
    "/reports/protection/": [
        f"SELECT count(*) FROM cases_complaint c WHERE {LIMA_DAY}",
        "SELECT m.measure_type, count(*), count(*) FILTER (WHERE m.decided_at <= c.deadline), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY m.decided_at - c.filed_at) "
        "FROM cases_protectionmeasure m JOIN cases_complaint c ON c.id = m.complaint_id "
        f"WHERE {LIMA_DAY} AND m.state IN ('granted', 'in_force', 'lifted', 'expired') "
        "GROUP BY ROLLUP (m.measure_type)",
        "SELECT count(*) FROM cases_complaint WHERE settled_at IS NULL AND deadline < now()",
    ],
}

# Reports over the services and the shelters' stays (hundreds and thousands of rows, not
# millions): timed too, but the goal is about the reports over the period's cases.
NO_CASES = {"/reports/shelters/", "/reports/network/"}


def _median_ms(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


class Command(BaseCommand):
    help = "Print, per report, the median time of the JSON view and of the naive SQL."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=15)
        parser.add_argument(
            "--only", default="", help="Only the reports whose path contains this text."
        )
        parser.add_argument(
            "--year", type=int, default=None, help="Report period (default: the last full year)."
        )

    def handle(self, *args, runs: int, year: int | None, only: str = "", **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_reports measures PostgreSQL (set DATABASE_URL).")
        year = year or timezone.localdate().year - 1
        params = {"start": date(year, 1, 1), "end": date(year, 12, 31)}
        user = national_manager()
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        in_period = Case.objects.filter(intake_date__year=year).count()
        self.stdout.write(
            f"{connection.vendor}, {Case.objects.count():,} cases ({in_period:,} in {year}), "
            f"median of {runs} runs"
        )
        self.stdout.write(
            f"{'report':<34} {'view ms':>8} {'naive ms':>9} {'ratio':>6} {'queries':>7}  goal"
        )
        met = measured = 0
        for name, statements in NAIVE.items():
            if only not in name:
                continue
            path, _sep, by = name.partition("?")
            url = f"{path}?{by + '&' if by else ''}year={year}&format=json"
            client.get(url)  # warm caches, as a second visitor would find them

            def view(url=url):
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")

            with CaptureQueriesContext(connection) as captured:
                view()
            # Read now: every request starts by clearing the connection's query log.
            queries = len(captured.captured_queries)
            with connection.cursor() as cursor:

                def naive(statements=statements, cursor=cursor):
                    for statement in statements:
                        cursor.execute(statement, params)
                        cursor.fetchall()

                naive()
                naive_ms = _median_ms(naive, runs)
            view_ms = _median_ms(view, runs)
            ratio = view_ms / naive_ms
            if name in NO_CASES:
                verdict = "n/a (reads no cases)"
            else:
                ok = ratio <= 0.25 and view_ms < 50
                met += ok
                measured += 1
                verdict = "met" if ok else "not met"
            self.stdout.write(
                f"{name:<34} {view_ms:>8.1f} {naive_ms:>9.1f} {ratio:>6.2f} {queries:>7}  {verdict}"
            )
        self.stdout.write(
            f"{met} of {measured} reports over cases, activities and "
            "complaints meet the goal (view ≤ 0.25× naive SQL, < 50 ms)."
        )
