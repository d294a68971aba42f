import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from services.demo import seed_network, seed_users
from services.models import CareService, District

DEFAULT_DEMO_PASSWORD = "warmi-demo-2026"  # noqa: S105 - demo data only; refused in production


class Command(BaseCommand):
    help = "Build a realistic demo network and one demo login per role; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2023, help="Random seed (default 2023).")

    def handle(self, *args, seed: int, **options):
        password = os.environ.get("DEMO_PASSWORD")
        if not password:
            if not settings.DEBUG:
                raise CommandError(
                    "Debug is off: set DEMO_PASSWORD explicitly to create demo logins."
                )
            password = DEFAULT_DEMO_PASSWORD
        if not District.objects.exists():
            call_command("load_geography", stdout=self.stdout)
        services = seed_network(seed=seed)
        home_sar = next(s for s in services if s.kind == CareService.Kind.SAR and not s.closed_on)
        users = seed_users(password=password, home_sar=home_sar)
        self.stdout.write(
            self.style.SUCCESS(f"Demo network: {len(services)} services (seed {seed}).")
        )
        self.stdout.write(f"Demo logins (password: {password}):")
        for demo in users.values():
            self.stdout.write(f"  {demo.username:<11} {demo.description}")
