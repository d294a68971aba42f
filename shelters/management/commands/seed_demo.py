import os
import time
from collections import Counter

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from activities.demo import demo_activities, seed_activities
from cases.demo import demo_cases, seed_cases, seed_legal_clock
from services.demo import (
    DEMO_REGIONS,
    seed_national,
    seed_national_staff,
    seed_network,
    seed_users,
)
from services.models import CareService, Community, District
from shelters.demo import seed_national_shelters, seed_shelters, seed_stays

DEFAULT_DEMO_PASSWORD = "warmi-demo-2026"  # noqa: S105 - demo data only; refused in production


class Command(BaseCommand):
    help = (
        "Build a realistic demo network with shelters and their residents, one demo login per "
        "role and synthetic cases; "
        "idempotent: --cases N makes sure the demo SARs and CEMs hold N synthetic cases "
        "(only the missing ones are added, so a rerun with the same N adds none), with their "
        "complaints, protection measures and follow-ups. --national adds, around it, a network "
        "of national size (about 430 CEMs, 60 SARs with the communities of their districts, "
        "the CAIs, 25 shelters in 19 regions and their staff); --cases then spreads the cases "
        "over all of it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2023, help="Random seed (default 2023).")
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            metavar="N",
            help=(
                "Make sure the demo network holds N synthetic cases (default 0): only the "
                "missing ones are added; cases registered by users do not count."
            ),
        )

        parser.add_argument(
            "--national",
            action="store_true",
            help=(
                "Also build the national network around the demo one (idempotent: a rerun "
                "adds nothing)."
            ),
        )

    def handle(self, *args, seed: int, cases: int, national: bool = False, **options):
        if cases < 0:
            raise CommandError("--cases must be 0 or more.")
        password = os.environ.get("DEMO_PASSWORD")
        if not password:
            if not settings.DEBUG:
                raise CommandError(
                    "Debug is off: set DEMO_PASSWORD explicitly to create demo logins."
                )
            password = DEFAULT_DEMO_PASSWORD
        elif not settings.DEBUG:
            try:  # real logins on a real server: the password must pass the validators
                validate_password(password)
            except ValidationError as weak:
                message = " ".join(weak.messages)
                raise CommandError(f"DEMO_PASSWORD is too weak: {message}") from None
        if not District.objects.exists():
            call_command("load_geography", stdout=self.stdout)
        services = seed_network(seed=seed)
        home_sar = next(s for s in services if s.kind == CareService.Kind.SAR and not s.closed_on)
        users = seed_users(password=password, home_sar=home_sar)
        shelters = seed_shelters(seed=seed, regions=DEMO_REGIONS)
        if national:
            services, shelters = self.national(seed, password, services)
        stays = seed_stays(seed=seed, shelters=shelters)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo network: {len(services)} services and {len(shelters)} shelters "
                f"({stays} stays added; seed {seed})."
            )
        )
        # Before the cases: the annexes it adds are then there for every run's cases alike.
        started = time.perf_counter()
        added = seed_activities(seed=seed, services=services)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo activities: {added} added in {time.perf_counter() - started:.1f} s "
                f"({demo_activities(services).count()} in the demo network)."
            )
        )
        if cases:
            started = time.perf_counter()
            added = seed_cases(count=cases, seed=seed, services=services)
            elapsed = time.perf_counter() - started
            total = demo_cases(s for s in services if s.kind != CareService.Kind.CAI).count()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo cases: {added} added in {elapsed:.1f} s ({total} in the demo network)."
                )
            )
        # Every run: the demo cases without them get complaints, measures and follow-ups, and
        # each service something overdue of the last days and due today.
        started = time.perf_counter()
        clock = seed_legal_clock(seed=seed, services=services)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo legal clock: {clock.complaints} complaints, {clock.measures} protection "
                f"measures and {clock.follow_ups} follow-ups added in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )
        self.stdout.write(f"Demo logins (password: {password}):")
        for demo in users.values():
            self.stdout.write(f"  {demo.username:<11} {demo.description}")
        if national:
            self.stdout.write(
                "  and every national user, such as cem-<ubigeo>.1, manager.<region>.1, "
                "shelter.<region>.1 or national.1"
            )

    def national(self, seed: int, password: str, classic: list[CareService]):
        """Seed the national network around the classic one; return its services and
        shelters."""
        started = time.perf_counter()
        services, counts = seed_national(seed=seed, classic=classic)
        shelters = seed_national_shelters(seed=seed)
        staff = seed_national_staff(
            seed=seed,
            password=password,
            services=services,
            shelter_regions=[shelter.district_id[:2] for shelter in shelters],
        )
        kinds = Counter(service.kind for service in services)
        communities = Community.objects.filter(
            district__covering_services__in=[s for s in services if s.is_sar]
        ).distinct()
        self.stdout.write(
            self.style.SUCCESS(
                f"National network: {kinds['CEM']} CEMs, {kinds['SAR']} SARs, {kinds['CAI']} "
                f"CAIs, {len(shelters)} shelters in "
                f"{len({s.district_id[:2] for s in shelters})} regions, "
                f"{communities.count()} communities in SAR districts ({counts.services} "
                f"services, {counts.communities} communities, {staff.users} users added in "
                f"{time.perf_counter() - started:.1f} s)."
            )
        )
        return services, shelters
