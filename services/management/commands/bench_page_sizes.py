"""The byte size of the pages whose filters grow with the network, before and after the
national network is added.

    python manage.py bench_page_sizes

Run on a database holding the classic demo (17 services): it measures each page, adds the
national network (`seed_demo --national`: about 490 services and 3,000 communities), measures
again and prints both sizes and their ratio. The goal: no page more than 10% larger. `make
bench` runs it on a scratch SQLite database (var/bench_sizes.sqlite3).
"""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from services.benchguard import require_bench_database
from services.models import CareService

# (login of the classic demo, page): what each kind of user opens that carries filters or
# choices of services, communities or districts.
PAGES = [
    ("national", "/cases/"),
    # (by sex: a report by service has one row per service, which is its content, not a filter)
    ("national", "/reports/cases/?by=sex"),
    ("national", "/reports/rural-coverage/"),
    ("national", "/activities/"),
    ("national", "/pending/"),
    ("manager", "/cases/"),
    ("caseworker", "/cases/"),
    ("caseworker", "/cases/new/"),
    ("caseworker", "/activities/new/"),
]


class Command(BaseCommand):
    help = "Byte size of the pages with filters, with the classic and the national network."

    def measure(self) -> dict[tuple[str, str], int]:
        sizes = {}
        users = get_user_model().objects
        for login, path in PAGES:
            client = Client(HTTP_HOST="localhost")
            client.force_login(users.get(username=login))
            response = client.get(path)
            if response.status_code != 200:
                raise CommandError(f"{path} as {login} answered {response.status_code}")
            sizes[(login, path)] = len(response.content)
        return sizes

    def handle(self, *args, **options):
        require_bench_database()
        if not get_user_model().objects.filter(username="national").exists():
            raise CommandError("Run seed_demo first (the classic demo's logins).")
        before_services = CareService.objects.count()
        before = self.measure()
        call_command(
            "seed_demo",
            national=True,
            stdout=self.stdout if options["verbosity"] > 1 else StringIO(),
        )
        after_services = CareService.objects.count()
        after = self.measure()
        self.stdout.write(
            f"{'page':<40} {before_services:>4} services {after_services:>5} services  ratio"
        )
        worst = 0.0
        for login, path in PAGES:
            ratio = after[(login, path)] / before[(login, path)]
            worst = max(worst, ratio)
            self.stdout.write(
                f"{login + ' ' + path:<40} {before[(login, path)]:>11,} B "
                f"{after[(login, path)]:>12,} B  {ratio:.2f}"
            )
        verdict = "met" if worst <= 1.10 else "not met"
        self.stdout.write(f"largest growth: {worst:.2f}× (goal ≤ 1.10×: {verdict})")
