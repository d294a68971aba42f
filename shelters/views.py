"""Shelter pages: thin views that check access, call one action and render.

Pages that show residents or addresses are never cached by the browser. Residents' names never
go in a URL: families are addressed by their family-group UUID.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django import forms as django_forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from cases.actions import log_case_view
from services.converters import is_code
from services.decorators import scope_required
from services.submissions import once_per_submission, submit_once

from . import actions
from .forms import (
    MAX_CHILDREN,
    AdmissionForm,
    ChildForm,
    DischargeForm,
    ShelterForm,
    TransferForm,
)
from .models import Shelter, Stay
from .queries import (
    board_shelters,
    cases_for_admission,
    family_stays,
    get_case_for_admission,
    get_shelter_for_user,
    keeps_shelters,
    occupancy_overview,
    open_stays,
    sees_occupancy,
    transfer_destinations,
)

RECENT_DAYS = 30


def _describe(shelter: Shelter, residents: list[Stay], today: date) -> Shelter:
    """Attach what the templates show: residents with days of stay, who is due to leave."""
    for stay in residents:
        stay.days = stay.days_of_stay(today)
        stay.due = stay.is_due(today)
        stay.overdue = stay.is_overdue(today)
    shelter.residents = residents
    shelter.due = sorted(
        (stay for stay in residents if stay.due), key=lambda stay: stay.planned_discharge_on
    )
    return shelter


@never_cache
@scope_required(keeps_shelters)
def shelter_board(request):
    """The occupancy board of the shelters the user keeps, with their residents."""
    today = timezone.localdate()
    shelters = [_describe(s, s.residents, today) for s in board_shelters(request.user, today)]
    return render(request, "shelters/board.html", {"shelters": shelters, "today": today})


@never_cache
@scope_required(sees_occupancy)
def shelter_national(request):
    """Capacity, occupied and free beds by region and shelter: no address, no name."""
    regions = occupancy_overview(request.user)
    totals = {
        "shelters": sum(len(region.shelters) for region in regions),
        "capacity": sum(region.capacity for region in regions),
        "occupied": sum(region.occupied for region in regions),
        "free": sum(region.free for region in regions),
    }
    totals["rate"] = (
        round(100 * totals["occupied"] / totals["capacity"]) if totals["capacity"] else 0
    )
    return render(request, "shelters/national.html", {"regions": regions, "totals": totals})


@never_cache
@scope_required(keeps_shelters)
def shelter_detail(request, code: str):
    shelter = get_shelter_for_user(request.user, code)
    today = timezone.localdate()
    residents = list(open_stays().filter(shelter=shelter))
    shelter.occupied = len(residents)
    _describe(shelter, residents, today)
    recent = (
        Stay.objects.filter(shelter=shelter, discharged_on__gte=today - timedelta(days=RECENT_DAYS))
        .select_related("person")
        .order_by("-discharged_on", "family_group", "-role", "pk")
    )
    return render(
        request,
        "shelters/shelter_detail.html",
        {"shelter": shelter, "recent": recent, "recent_days": RECENT_DAYS, "today": today},
    )


@never_cache
@scope_required(keeps_shelters)
def shelter_edit(request, code: str):
    shelter = get_shelter_for_user(request.user, code)
    form = ShelterForm(request.POST or None, instance=Shelter.objects.get(pk=shelter.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_shelter(
                shelter=shelter,
                user=request.user,
                name=data["name"],
                address=data["address"],
                capacity=data["capacity"],
                closed_on=data["closed_on"],
            )
        except actions.CapacityBelowOccupancyError as error:
            form.add_error("capacity", error.message)
        except actions.ShelterHasResidentsError as error:
            form.add_error("closed_on", error.message)
        except actions.ShelterError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Shelter %(code)s saved.") % {"code": shelter.code})
            return redirect("shelter_board")
    return render(request, "shelters/shelter_form.html", {"form": form, "shelter": shelter})


def _child_formset(request, *, admitted_on: date | None, rows: int):
    formset_class = django_forms.formset_factory(
        ChildForm,
        extra=rows,
        max_num=MAX_CHILDREN,
        validate_max=True,
        absolute_max=MAX_CHILDREN,
    )
    return formset_class(
        request.POST or None, prefix="children", form_kwargs={"admitted_on": admitted_on}
    )


def _rows_wanted(request, case) -> int:
    """How many empty child rows to offer: `?children=N`, or the case's children under 18."""
    try:
        rows = int(request.GET.get("children", ""))
    except ValueError:
        rows = (case.daughters_0_17 + case.sons_0_17) if case else 0
    return max(0, min(rows, MAX_CHILDREN))


@never_cache
@scope_required(keeps_shelters)
@once_per_submission
def shelter_admit(request, code: str):
    """Admit a woman and her children in one step, directly or from a referred case."""
    shelter = get_shelter_for_user(request.user, code)
    cases = cases_for_admission(request.user)
    asked = request.GET.get("case", "").strip().upper()
    case = get_case_for_admission(request.user, asked) if is_code(asked) else None
    initial = {}
    if case is not None:
        # Her data come from the case: that is a read of the case, audited like any other.
        log_case_view(case=case, user=request.user)
        initial = {
            "case_code": case.code,
            "referring_service": case.service_id,
            "woman_name": case.victim_name,
            "woman_birth_date": case.victim_birth_date,
            "woman_age": None if case.victim_birth_date else case.victim_age,
        }
    form = AdmissionForm(request.POST or None, shelter=shelter, cases=cases, initial=initial)
    admitted_on = None
    if form.is_bound:
        form.is_valid()  # clean now: the children's ages are checked on the admission date
        admitted_on = form.cleaned_data.get("admitted_on")
    children = _child_formset(request, admitted_on=admitted_on, rows=_rows_wanted(request, case))
    if request.method == "POST" and all([form.is_valid(), children.is_valid()]):
        data = form.cleaned_data
        people = [form.woman()] + [
            child.arrival() for child in children if child.has_changed() and child.cleaned_data
        ]

        def admit():
            stays = actions.admit_family(
                shelter=shelter,
                people=people,
                admitted_on=data["admitted_on"],
                user=request.user,
                case=data["case_code"],
                referring_service=data["referring_service"],
                planned_discharge_on=data["planned_discharge_on"],
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d person admitted to %(shelter)s.",
                    "%(count)d people admitted to %(shelter)s.",
                    len(stays),
                )
                % {"count": len(stays), "shelter": shelter.name},
            )
            return reverse("shelter_board")

        try:
            return submit_once(request, admit)
        except actions.ImplausibleFamilyError as error:
            # Next to each child's age: the rule names them by their place among the children.
            filled = [child for child in children if child.has_changed() and child.cleaned_data]
            for index, field, message in error.problems:
                filled[index].add_error(field, message)
        except actions.ShelterError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "shelters/admission_form.html",
        {
            "shelter": shelter,
            "form": form,
            "children": children,
            "case": case,
            "more_rows": min(children.total_form_count() + 1, MAX_CHILDREN),
        },
    )


def _family(request, code: str, family: uuid.UUID) -> tuple[Shelter, list[Stay]]:
    shelter = get_shelter_for_user(request.user, code)
    return shelter, family_stays(shelter, family)


@never_cache
@scope_required(keeps_shelters)
@once_per_submission
def shelter_discharge(request, code: str, family: uuid.UUID):
    """Discharge one person or the whole family."""
    shelter, stays = _family(request, code, family)
    form = DischargeForm(request.POST or None, stays=stays)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def discharge():
            done = actions.discharge(
                stays=data["stays"],
                discharged_on=data["discharged_on"],
                reason=data["reason"],
                user=request.user,
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d person discharged from %(shelter)s.",
                    "%(count)d people discharged from %(shelter)s.",
                    len(done),
                )
                % {"count": len(done), "shelter": shelter.name},
            )
            return reverse("shelter_board")

        try:
            return submit_once(request, discharge)
        except actions.ShelterError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "shelters/family_form.html",
        {
            "shelter": shelter,
            "stays": stays,
            "form": form,
            "title": _("Discharge"),
            "submit": _("Discharge"),
        },
    )


@never_cache
@scope_required(keeps_shelters)
@once_per_submission
def shelter_transfer(request, code: str, family: uuid.UUID):
    """Move one person or the whole family to another shelter in one step, in any region."""
    shelter, stays = _family(request, code, family)
    form = TransferForm(
        request.POST or None,
        stays=stays,
        destinations=lambda people: transfer_destinations(shelter, people=people),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def transfer():
            moved = actions.transfer_family(
                stays=data["stays"],
                to_shelter=data["to_shelter"],
                transferred_on=data["transferred_on"],
                user=request.user,
                planned_discharge_on=data["planned_discharge_on"],
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d person transferred to %(shelter)s.",
                    "%(count)d people transferred to %(shelter)s.",
                    len(moved),
                )
                % {"count": len(moved), "shelter": data["to_shelter"].name},
            )
            return reverse("shelter_board")

        try:
            return submit_once(request, transfer)
        except actions.ShelterError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "shelters/family_form.html",
        {
            "shelter": shelter,
            "stays": stays,
            "form": form,
            "title": _("Transfer to another shelter"),
            "submit": _("Transfer"),
            "no_destination": not form.has_destinations,
        },
    )
