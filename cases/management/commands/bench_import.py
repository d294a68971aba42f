"""Time `import_csv --kind cases` on a large, realistic registry file (a developer's tool).

It writes cases into the database in DATABASE_URL: run it on a scratch database, e.g.

    createdb warmi_bench_import && DATABASE_URL=postgres://.../warmi_bench_import \\
        python manage.py migrate && DEMO_PASSWORD=x python manage.py bench_import
"""

import csv
import random
import time
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from cases import registry
from cases.models import Case
from services.models import CareService, District

# Registry columns and the weights of their codes, roughly as the CEM registry shows them.
WEIGHTED = {
    "CONDICION": {1: 70, 2: 10, 3: 10, 4: 5, 5: 5},
    "FORMA_INGRESO": {1: 60, 3: 10, 15: 15, 16: 5, 12: 5, 21: 5},
    "SEXO_VICTIMA": {0: 85, 1: 15},
    "VICTIMA_PERUANA": {1: 97, 0: 3},
    "DISCAPACIDAD_VICTIMA": {0: 95, 1: 5},
    "LENGUA_MATERNA_VICTIMA": {1: 20, 2: 5, 3: 5, 10: 70},
    "ETNIA_VICTIMA": {1: 30, 2: 5, 8: 65},
    "NIVEL_EDUCATIVO_VICTIMA": {1: 5, 3: 20, 5: 40, 7: 20, 9: 15},
    "ESTADO_CIVIL_VICTIMA": {1: 50, 2: 30, 3: 15, 4: 5},
    "TRABAJA_VICTIMA": {0: 55, 1: 45},
    "AREA_RESIDENCIA_DOMICILIO": {1: 60, 2: 40},
    "SEXO_AGRESOR": {1: 88, 0: 12},
    "VINCULO_AGRESOR_VICTIMA": {1: 60, 2: 35, 3: 5},
    "AGRESOR_VIVE_CASA_VICTIMA": {0: 50, 1: 40, 2: 10},
    "TIPO_VIOLENCIA": {0: 3, 1: 45, 2: 40, 3: 12},
    "NIVEL_DE_RIESGO_VICTIMA": {1: 30, 2: 50, 3: 20},
    "INTERPUSO_DENUNCIA": {0: 60, 1: 40},
}


class Command(BaseCommand):
    help = "Write a realistic N-row cases file for the services in the database; time its import."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--file", default=str(settings.BASE_DIR / "var" / "bench" / "casos_bench.csv")
        )
        parser.add_argument(
            "--twice", action="store_true", help="Import it again to time an idempotent re-run."
        )

    def handle(self, *args, rows: int, seed: int, file: str, twice: bool, **options):
        if not CareService.objects.exists():
            self.stdout.write("No services yet: running seed_demo first.")
            call_command("seed_demo", stdout=StringIO())
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)

        started = time.perf_counter()
        self.write_file(path, rows, random.Random(seed), f"B{seed}")  # noqa: S311
        generated = time.perf_counter() - started
        self.stdout.write(
            f"Generated {rows} rows in {generated:.1f} s: {path} "
            f"({path.stat().st_size / 1e6:.1f} MB, Latin-1, ';', DD/MM/YYYY)."
        )

        before = Case.objects.count()
        for attempt in range(2 if twice else 1):
            output = StringIO()
            started = time.perf_counter()
            try:
                call_command("import_csv", str(path), kind="cases", stdout=output)
            except CommandError as error:
                raise CommandError(f"The import failed: {error}") from error
            elapsed = time.perf_counter() - started
            label = "first import" if attempt == 0 else "re-import (all present)"
            self.stdout.write(
                f"{label}: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s on {connection.vendor}."
            )
            self.stdout.write("  " + " ".join(output.getvalue().split("\n")[1:]).strip())
        self.stdout.write(f"Cases in the database: {before} -> {Case.objects.count()}.")

    def write_file(self, path: Path, count: int, rng: random.Random, prefix: str) -> None:
        services = list(
            CareService.objects.filter(closed_on__isnull=True)
            .select_related("district")
            .prefetch_related("covered_districts", "covered_communities")
        )
        if not services:
            raise CommandError("No open services to register cases in.")
        by_region: dict[str, list[str]] = {}
        for code in District.objects.values_list("code", flat=True):
            by_region.setdefault(code[:2], []).append(code)
        acts = {code: [v.name for v in vs] for code, vs in registry.violence_acts().items()}
        act_columns = sorted(
            registry.all_violence_act_names(), key=lambda name: registry.variable(name).item
        )
        columns = [
            "CODIGO_SERVICIO",
            "NUMERO_CASO",
            "FECHA_INGRESO",
            "EDAD_VICTIMA",
            "HIJAS_VIVAS_0_17",
            "HIJOS_VIVOS_0_17",
            "EDAD_AGRESOR",
            "DPTO_DOMICILIO",
            "PROV_DOMICILIO",
            "DIST_DOMICILIO",
            "CENTRO_POBLADO_DOMICILIO",
            *WEIGHTED,
            *act_columns,
        ]
        weighted = {
            name: (list(weights), list(weights.values())) for name, weights in WEIGHTED.items()
        }
        today = timezone.localdate()
        first_day = date(2023, 1, 1)
        span = (today - first_day).days
        with path.open("w", encoding="latin-1", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(columns)
            for index in range(1, count + 1):
                service = rng.choice(services)
                covered = list(service.covered_districts.all())
                if covered:
                    district = rng.choice(covered).code
                else:
                    district = rng.choice(by_region[service.district.code[:2]])
                communities = [
                    c.code for c in service.covered_communities.all() if c.district_id == district
                ]
                roll = rng.random()
                if communities and roll < 0.6:
                    community = rng.choice(communities)[6:]
                elif roll < 0.65:
                    community = f"{rng.randint(9000, 9009):04d}"  # unknown: will be created
                else:
                    community = ""
                values = {
                    name: rng.choices(codes, weights)[0]
                    for name, (codes, weights) in weighted.items()
                }
                kind = values["TIPO_VIOLENCIA"]
                chosen = set(rng.sample(acts[kind], rng.randint(1, 3)))
                intake = first_day + timedelta(days=rng.randrange(span + 1))
                writer.writerow(
                    [
                        service.code,
                        f"{prefix}-{index:06d}",
                        intake.strftime("%d/%m/%Y"),
                        rng.randint(0, 85),
                        rng.randint(0, 3),
                        rng.randint(0, 3),
                        rng.choice(["", rng.randint(16, 80)]),
                        district[:2],
                        district[2:4],
                        district[4:],
                        community,
                        *values.values(),
                        *("1" if name in chosen else "" for name in act_columns),
                    ]
                )
