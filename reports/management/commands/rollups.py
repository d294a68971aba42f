"""Compare the reports' rollup with a fresh recount of the source tables, or rebuild it.

    python manage.py rollups             # print every difference; exit 1 if there is one
    python manage.py rollups --rebuild   # rewrite the rollup from the source tables

The rollup is kept by database triggers (reports/rollups.py), so a difference means something
wrote around them (a restore of one table, triggers disabled by hand): rebuild, then find out.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from reports import rollups


class Command(BaseCommand):
    help = "Compare the reports' rollup with a recount of the source tables, or rebuild it."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Rewrite the rollup.")
        parser.add_argument("--database", default="default")
        parser.add_argument("--limit", type=int, default=50, help="Differences to print.")

    def handle(self, *args, rebuild: bool, database: str, limit: int, **options):
        started = time.perf_counter()
        if rebuild:
            rollups.install_triggers(using=database, rebuild_if_changed=False)
            rows = rollups.rebuild(using=database)
            seconds = time.perf_counter() - started
            self.stdout.write(f"Rollup rebuilt: {rows:,} rows in {seconds:.1f} s.")
            return
        found = rollups.differences(using=database)
        seconds = time.perf_counter() - started
        for row, have, want in found[:limit]:
            fact, service, span, start, dimension, key = row
            self.stdout.write(
                f"{fact} service={service} {span}={start} {dimension}={key!r}: "
                f"stored {have or (0, 0)}, recounted {want or (0, 0)}"
            )
        if found:
            raise CommandError(
                f"{len(found):,} rollup rows differ from a recount ({seconds:.1f} s); "
                "`manage.py rollups --rebuild` rewrites them."
            )
        self.stdout.write(f"The rollup equals a recount of the source tables ({seconds:.1f} s).")
