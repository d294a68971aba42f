"""A hand-made set of community activities for the report tests: an activity in a community
where no case lives, a community whose 4-digit suffix (and name) is repeated in another district,
a cancelled activity, activities on both sides of 2023, a CEM's activity (an activities-report
row, not rural coverage) and a SAR of another region. The tests compute their expectations from
`SPECS` in plain Python, never with the reports' queries."""

from dataclasses import dataclass
from datetime import date

from activities.actions import cancel_activity
from tests.activities.factories import ActivityFactory
from tests.factories import CareServiceFactory, CaseFactory, CommunityFactory, DistrictFactory


@dataclass(frozen=True)
class Spec:
    """One hand-made activity, as the independent computation reads it."""

    service: str  # "A" (SAR, region 08), "B" (CEM, region 21), "C" (SAR, region 21)
    day: date
    district: str
    community: str | None  # its 10-digit code
    type: str
    people: tuple[int, int, int, int]  # women, men, girls, boys
    cancelled: bool = False


SPECS = [
    Spec("A", date(2023, 1, 15), "081201", "0812010001", "TALLER", (10, 3, 2, 1)),
    # A community where no case lives.
    Spec("A", date(2023, 1, 20), "081201", "0812010002", "CAMPANA", (20, 15, 5, 5)),
    # Suffix 0001 and name "Ccollpa" again, in another district: another community.
    Spec("A", date(2023, 3, 2), "081202", "0812020001", "REUNION_AUTORIDADES", (2, 5, 0, 0)),
    Spec("A", date(2023, 3, 2), "081202", None, "TALLER", (8, 0, 0, 0)),
    Spec("A", date(2023, 11, 25), "081201", "0812010001", "CAMPANA", (30, 20, 10, 10)),
    Spec("A", date(2023, 6, 10), "081201", "0812010001", "TALLER", (5, 5, 0, 0), cancelled=True),
    Spec("A", date(2022, 12, 31), "081201", "0812010001", "TALLER", (1, 0, 0, 0)),
    Spec("A", date(2024, 1, 1), "081201", None, "FERIA", (50, 50, 0, 0)),
    Spec("B", date(2023, 5, 5), "210101", None, "FERIA", (40, 20, 20, 20)),
    Spec("C", date(2023, 7, 7), "210102", "2101020001", "VIGILANCIA_COMUNAL", (6, 9, 0, 0)),
    Spec("C", date(2023, 7, 8), "210102", "2101020001", "TALLER", (4, 1, 0, 0)),
    Spec("C", date(2023, 12, 31), "210102", None, "OTRA", (3, 0, 1, 0)),
]
CODES = {"A": "SAR-081201", "B": "CEM-210101", "C": "SAR-210102"}
NAMES = {"A": "SAR Urcos", "B": "CEM Puno", "C": "SAR Paucarcolla"}
KINDS = {"A": "SAR", "B": "CEM", "C": "SAR"}
REGIONS = {"08": "Cusco", "21": "Puno"}


def build_world(cast) -> dict:
    """The hand-made activities in the database, and cases living only in 0812010001; the
    services by letter."""
    neighbour = DistrictFactory(code="081202", province=cast.service_a.district.province)
    paucarcolla = DistrictFactory(code="210102", province=cast.service_b.district.province)
    sar_c = CareServiceFactory(code=CODES["C"], kind="SAR", name=NAMES["C"], district=paucarcolla)
    districts = {d.code: d for d in (cast.service_a.district, neighbour, paucarcolla)}
    districts["210101"] = cast.service_b.district
    communities = {
        "0812010001": CommunityFactory(
            district=districts["081201"], code="0812010001", name="Ccollpa"
        ),
        "0812010002": CommunityFactory(
            district=districts["081201"], code="0812010002", name="Anexo Santa Rosa"
        ),
        "0812020001": CommunityFactory(
            district=districts["081202"], code="0812020001", name="Ccollpa"
        ),
        "2101020001": CommunityFactory(
            district=districts["210102"], code="2101020001", name="Ccollpa"
        ),
    }
    services = {"A": cast.service_a, "B": cast.service_b, "C": sar_c}
    for spec in SPECS:
        women, men, girls, boys = spec.people
        activity = ActivityFactory(
            service=services[spec.service],
            date=spec.day,
            district=districts[spec.district],
            community=communities[spec.community] if spec.community else None,
            type=spec.type,
            women=women,
            men=men,
            girls=girls,
            boys=boys,
        )
        if spec.cancelled:
            cancel_activity(activity=activity, user=cast.caseworker_a, reason="Duplicada")
    for _ in range(3):
        CaseFactory(
            service=cast.service_a,
            district=districts["081201"],
            community=communities["0812010001"],
        )
    return services
