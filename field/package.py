"""The package a caseworker takes on a trip: her services, the open cases she chose, and the
types of community activity (the list of `activities/data/activity_types.csv`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from activities import registry
from cases.actions import log_case_views
from cases.models import Case, CaseAction

from .queries import field_services, open_cases_for_field

MAX_PACKAGE_CASES = 200


class CasesNotTakeable(Exception):
    """A code asked for is not an open case of her services (or does not exist)."""


def _service(service) -> dict[str, Any]:
    district = service.district
    return {
        "code": service.code,
        "name": service.name,
        "region": district.province.region_id,
        "province": district.province_id,
        "district": district.code,
    }


def _residence(case: Case) -> str:
    places = [case.community.name] if case.community_id else []
    return ", ".join([*places, case.district.name])


def _case(case: Case) -> dict[str, Any]:
    return {
        "code": case.code,
        "version": case.version,
        "intake_date": case.intake_date.isoformat(),
        "status": case.get_status_display(),
        "risk_level": case.risk_level,
        "risk": case.get_risk_level_display(),
        "violence_type": case.get_violence_type_display(),
        "victim_name": case.victim_name,
        "residence": _residence(case),
        "actions": [
            {"kind": action.get_kind_display(), "date": action.date.isoformat()}
            for action in case.actions.all()
        ],
    }


def activity_types() -> list[dict[str, str]]:
    """The types of community activity, in the data file's order, labelled in the active
    language: the offline activity form offers the list the trip was prepared with."""
    kinds = registry.activity_types().values()
    return [{"code": kind.code, "label": kind.label()} for kind in kinds]


def prepare_package(*, user, codes: list[str]) -> dict[str, Any]:
    """Return the package of the cases with `codes`, and audit each as read.

    Every code must be an open case of her field services, else `CasesNotTakeable` and nothing
    is read nor audited. No code at all is a trip without cases (to register activities and new
    cases only). A constant number of queries: services, cases, their actions, the audit entries
    (one insert); the activity types are read from their file, not the database.
    """
    wanted = set(codes)
    cases = list(
        open_cases_for_field(user)
        .filter(code__in=wanted)
        .select_related("district", "community")
        .prefetch_related(Prefetch("actions", queryset=CaseAction.objects.order_by("-date", "-id")))
    )
    if len(cases) != len(wanted):
        raise CasesNotTakeable
    log_case_views(cases=cases, user=user, changes={"via": "field"})
    return {
        "prepared_at": timezone.localtime().isoformat(timespec="seconds"),
        "user": user.pk,
        "services": [_service(service) for service in field_services(user)],
        "cases": [_case(case) for case in cases],
        "activity_types": activity_types(),
    }
