"""Reads of cases filtered by who is asking."""

from django.db.models import Q, QuerySet

from services.audit import Refused
from services.scopes import scope_for

from .models import Case


def cases_visible_to(user) -> QuerySet[Case]:
    """Cases this user may read: her services' for a caseworker, her region's services' for a
    regional manager, all for national managers and administrators, none otherwise."""
    scope = scope_for(user)
    if scope.sees_all_services:
        return Case.objects.all()
    if not (scope.service_ids or scope.manager_regions):
        return Case.objects.none()

    return Case.objects.filter(
        Q(service_id__in=scope.service_ids)
        | Q(service__district__province__region__in=scope.manager_regions)
    )


def cases_editable_by(user) -> QuerySet[Case]:
    """Cases this user may change: only those of the services she works in."""
    return Case.objects.filter(service_id__in=scope_for(user).service_ids)


def get_case_for_user(user, code: str, *, write: bool = False) -> Case:
    """Return the case with this code if the user may read it (or change it, with `write`);
    answer 404 otherwise, so that nobody learns that a case exists outside her scope (only the
    trail of refused accesses records whether it exists)."""
    cases = cases_editable_by(user) if write else cases_visible_to(user)
    try:
        return cases.select_related(
            "service__district__province__region",
            "district__province__region",
            "community",
            "created_by",
        ).get(code=code)
    except Case.DoesNotExist:
        raise Refused(Case, code) from None


def earlier_cases_count(document_number: str, *, exclude_pk: int | None = None, before=None) -> int:
    """How many cases anywhere in the network carry this document number (a count only: the
    cases themselves may be outside the asker's scope). With `before`, only cases whose intake
    was on or before that date: a later return of the person does not make her first case
    any less new."""
    if not document_number:
        return 0
    cases = Case.objects.filter(victim_document_number=document_number.strip())
    if exclude_pk:
        cases = cases.exclude(pk=exclude_pk)
    if before:
        cases = cases.filter(intake_date__lte=before)
    return cases.count()
