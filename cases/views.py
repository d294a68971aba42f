"""Case pages: thin views that check access, call one action and render.

Case pages are never cached by the browser, and every read of a case page is audited.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from services.converters import is_code
from services.decorators import scope_required
from services.forms import case_filter_communities, case_filter_services, possible_key
from services.models import CareService
from services.pagination import paginate
from services.queries import services_visible_to
from services.rules import RuleViolation, add_to_form
from services.scopes import scope_for
from services.submissions import TOKEN_FIELD, once_per_submission, submission_key, submit_once

from . import actions, clock
from .forms import (
    ACT_CHOICES,
    INTAKE_COMPLAINT_FIELDS,
    INTAKE_FOLLOW_UP_FIELDS,
    CaseActionForm,
    CaseFilterForm,
    CaseForm,
    CloseCaseForm,
    ComplaintForm,
    EditCaseForm,
    FollowUpCancelForm,
    FollowUpDoneForm,
    FollowUpForm,
    MeasureForm,
    ReferralForm,
    SetAsideForm,
    repeat_message,
)
from .models import Case, Complaint, DocumentCheck, FollowUp, ProtectionMeasure
from .queries import cases_visible_to, get_case_for_user

CASES_PER_PAGE = 25


def reads_cases(scope) -> bool:
    return scope.may_read_cases


def writes_cases(scope) -> bool:
    return scope.is_caseworker


def _closed_refusal(request, case):
    messages.error(request, actions.closed_case_message())
    return redirect("case_detail", code=case.code)


@never_cache
@scope_required(reads_cases)
def case_list(request):
    """The cases in scope, newest first, filtered; counted up to `services.pagination`'s cap.

    The service and community filters are search-as-you-type fields: the page ships no option
    per service or community, however large the network."""
    visible = services_visible_to(request.user)
    form = CaseFilterForm(
        request.GET or None,
        services=case_filter_services(visible),
        communities=case_filter_communities(visible),
    )
    cases = form.filter(cases_visible_to(request.user)).for_list()
    page, query = paginate(request, cases, CASES_PER_PAGE)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "rows": _case_list_rows(page),
            "query": query,
            "filtered": bool(query),
        },
    )


def _case_list_rows(page) -> list[dict]:
    """What the list shows of each case of `page`, worked out once per page.

    The page shows each case twice (a card on phones, a table row from md up), and a template
    that asks each case for its address, date and labels costs more than the rest of the page:
    here one translation of each label and one formatting of each date serve every case, and
    the template only prints plain values."""
    labels = {
        name: {value: str(label) for value, label in Case._meta.get_field(name).flatchoices}
        for name in ("status", "risk_level", "violence_type")
    }
    status, risk, violence = labels["status"], labels["risk_level"], labels["violence_type"]
    short_date = cache(partial(date_format, format="SHORT_DATE_FORMAT"))
    return [
        {
            "code": case.code,
            "url": _case_url(case),
            "intake": short_date(case.intake_date),
            "status": status.get(case.status, case.status),
            "risk_level": case.risk_level,
            "risk": risk.get(case.risk_level, case.risk_level),
            "violence": violence.get(case.violence_type, case.violence_type),
            "place": (
                f"{case.community.name} / {case.district.name}"
                if case.community
                else case.district.name
            ),
        }
        for case in page
    ]


def _service_for_new_case(request) -> CareService | None:
    """The service the caseworker registers in: her only one, or the one she chose."""
    scope = scope_for(request.user)
    mine = CareService.objects.filter(pk__in=scope.service_ids, closed_on__isnull=True).order_by(
        "name"
    )
    chosen = request.POST.get("service") or request.GET.get("service")
    if chosen and not is_code(chosen):
        raise Http404
    if chosen:
        service = mine.filter(code=chosen).first()
        if service is None:
            raise Http404
        return service
    services = list(mine[:2])
    return services[0] if len(services) == 1 else None


def _case_url(case) -> str:
    return reverse("case_detail", kwargs={"code": case.code})


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_create(request):
    service = _service_for_new_case(request)
    if service is None:
        scope = scope_for(request.user)
        services = CareService.objects.filter(pk__in=scope.service_ids, closed_on__isnull=True)
        if not services.exists():
            raise Http404
        return render(request, "cases/choose_service.html", {"services": services})
    form = CaseForm(
        request.POST or None,
        service=service,
        count_earlier=actions.document_checker(
            user=request.user,
            service=service,
            via=DocumentCheck.Via.INTAKE,
            intake_key=submission_key(request),
        ),
    )
    if request.method == "POST" and form.is_valid():

        @transaction.atomic
        def register():
            # One transaction (within submit_once's): the case, and the complaint and follow-up
            # given with it, are stored together or not at all.
            case = actions.open_case(
                service=service,
                user=request.user,
                data=form.case_data(),
                new_community=form.cleaned_data["new_community"],
            )
            if complaint := form.complaint_data():
                actions.file_complaint(case=case, user=request.user, **complaint)
            if follow_up := form.follow_up_data():
                actions.schedule_follow_up(case=case, user=request.user, **follow_up)
            messages.success(request, _("Case %(code)s registered.") % {"code": case.code})
            return _case_url(case)

        try:
            return submit_once(request, register)
        except RuleViolation as violation:  # a day turned since the form was checked
            add_to_form(form, _intake_problems(violation))
    return render(
        request,
        "cases/case_form.html",
        {
            "form": form,
            "service": service,
            "intake_proof": actions.intake_proof(user=request.user, service=service),
        },
    )


def _intake_problems(violation: RuleViolation) -> list:
    """An action's problems on the intake form: the complaint's and follow-up's fields carry a
    prefix there (`CaseForm.complaint_filed_at`...)."""
    named = {
        field: name
        for fields in (INTAKE_COMPLAINT_FIELDS, INTAKE_FOLLOW_UP_FIELDS)
        for name, field in fields.items()
    }
    return [(named.get(field, field), message) for field, message in violation.problems]


def _mark_clock(complaints: list[Complaint], follow_ups: list[FollowUp], now: datetime) -> None:
    """Mark each record with its state on the legal clock, as `cases.clock` defines it; a
    decided complaint was on time when decided by its deadline."""
    for complaint in complaints:
        complaint.overdue = clock.complaint_overdue(complaint, now)
        complaint.due_today = clock.complaint_due_today(complaint, now)
        complaint.on_time = (
            None
            if complaint.is_pending or complaint.set_aside_reason
            else clock.within_deadline(complaint.deadline, complaint.settled_at)
        )
    for follow_up in follow_ups:
        follow_up.overdue = clock.follow_up_overdue(follow_up, now)
        follow_up.due_today = clock.follow_up_due_today(follow_up, now)


@never_cache
@scope_required(reads_cases)
def case_detail(request, code: str):
    case = get_case_for_user(request.user, code)
    actions.log_case_view(case=case, user=request.user)
    may_write = case.service_id in scope_for(request.user).service_ids
    # Three queries whatever their number: complaints, their measures, follow-ups.
    complaints = list(
        case.complaints.prefetch_related(
            Prefetch("measures", queryset=ProtectionMeasure.objects.order_by("created_at", "id"))
        )
    )
    follow_ups = sorted(case.follow_ups.all(), key=lambda f: (not f.is_pending, f.due_on, f.pk))
    _mark_clock(complaints, follow_ups, timezone.now())
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "may_write": may_write,
            "act_labels": [label for name, label in ACT_CHOICES if name in case.violence_acts],
            "case_actions": case.actions.select_related("staff"),
            "referrals": case.referrals.select_related("staff", "destination_service"),
            "complaints": complaints,
            "follow_ups": follow_ups,
            "overdue_count": sum(record.overdue for record in [*complaints, *follow_ups]),
            "clock_zone": clock.service_zone(),
            "deadline_hours": clock.deadline_hours(),
        },
    )


@never_cache
@scope_required(writes_cases)
def case_edit(request, code: str):
    case = get_case_for_user(request.user, code, write=True)
    if case.is_closed:
        return _closed_refusal(request, case)
    form = EditCaseForm(
        request.POST or None,
        instance=case,
        service=case.service,
        count_earlier=actions.document_checker(
            user=request.user, service=case.service, via=DocumentCheck.Via.EDIT, case=case
        ),
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_case(
                case=case,
                user=request.user,
                data=form.case_data(),
                expected_version=form.cleaned_data["version"],
                new_community=form.cleaned_data["new_community"],
            )
        except actions.StaleCaseError as stale:
            conflict = stale.current
        except actions.CaseClosedError:
            return _closed_refusal(request, case)
        else:
            messages.success(request, _("Case %(code)s saved.") % {"code": case.code})
            return redirect("case_detail", code=case.code)
    else:
        actions.log_case_view(case=case, user=request.user)
    return render(
        request,
        "cases/case_form.html",
        {"form": form, "case": case, "service": case.service, "conflict": conflict},
        status=409 if conflict else 200,
    )


@dataclass(frozen=True)
class PendingLink:
    """A pending item of a case, as the closing page lists it, with a link to it."""

    title: str
    url: str
    overdue: bool


def _pending_links(case, items) -> list[PendingLink]:
    """The case's pending complaints and follow-ups (`clock.open_items_of_case`, or those a
    refused closing named), each linked to its place on the case page."""
    now = timezone.now()
    complaints = [item for item in items if isinstance(item, Complaint)]
    follow_ups = [item for item in items if isinstance(item, FollowUp)]
    _mark_clock(complaints, follow_ups, now)
    links = []
    for complaint in complaints:
        filed = clock.local(complaint.filed_at)
        title = _("Complaint of %(date)s %(time)s: awaiting protection measures") % {
            "date": filed.strftime("%d/%m/%Y"),
            "time": filed.strftime("%H:%M"),
        }
        links.append(PendingLink(title, _record_url(case, complaint), complaint.overdue))
    for follow_up in follow_ups:
        title = _("%(kind)s due on %(date)s") % {
            "kind": follow_up.get_kind_display(),
            "date": follow_up.due_on.strftime("%d/%m/%Y"),
        }
        links.append(PendingLink(title, _record_url(case, follow_up), follow_up.overdue))
    return links


def _record_url(case, record) -> str:
    """The case page at a complaint or follow-up (the anchors `clock.PendingItem.url` uses)."""
    kind = "complaint" if isinstance(record, Complaint) else "follow_up"
    return f"{_case_url(case)}#{kind}-{record.pk}"


def _of_case(records, pk: int):
    """The record `pk` among the case's own (`records`: a related manager); 404 for any other,
    of another case or service, or a number no row could have."""
    if not possible_key(records.model._meta.pk, pk):
        raise Http404
    record = records.filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def _case_subform(
    request,
    code: str,
    form_class,
    title: str,
    save,
    *,
    target=None,
    open_only: bool = False,
    context=None,
):
    """A form on a case (an action, a referral, closing, a record of the legal clock): the same
    page for all. `target(case)` finds the record the form is about among the case's own (404
    for any other); `save(case, data, record)` calls the action and answers its message and the
    URL to go on to; `context(case)` adds what the page shows besides the form. With
    `open_only`, a record already settled is not offered to settle again. A refusal by the
    action is a message or an error on the form, never a server error."""
    case = get_case_for_user(request.user, code, write=True)
    record = target(case) if target else None
    if case.is_closed:
        return _closed_refusal(request, case)
    if open_only and not record.is_pending:
        return _settled_refusal(request, case, record)
    extra = {"target": record, "clock_zone": clock.service_zone()} if record is not None else {}
    form = form_class(request.POST or None, case=case, **_form_target(record))
    page = {"form": form, "case": case, "title": title, **(context(case) if context else {})}
    status = 200
    if request.method == "POST" and form.is_valid():

        def perform():
            message, url = save(case, form.cleaned_data, record)
            messages.success(request, message)
            return url

        try:
            return submit_once(request, perform)
        except actions.CaseClosedError:
            return _closed_refusal(request, case)
        except actions.AlreadySettledError:
            return _settled_refusal(request, case, record)
        except actions.PendingItemsError as pending:
            form.add_error(None, _("The case cannot be closed while items are pending."))
            page["pending_items"] = _pending_links(case, pending.items)
            status = 409
        except RuleViolation as violation:
            add_to_form(form, violation.problems)
    return render(request, "cases/case_subform.html", {**page, **extra}, status=status)


def _settled_refusal(request, case, record):
    messages.error(
        request, _("This was already settled, maybe by a colleague: nothing was changed.")
    )
    return redirect(_record_url(case, record) if record is not None else _case_url(case))


def _form_target(record) -> dict:
    """The keyword the form takes its record by (`complaint=`, `measure=`, `follow_up=`)."""
    if record is None:
        return {}
    if isinstance(record, ProtectionMeasure):
        return {"complaint": record.complaint, "measure": record}
    if isinstance(record, Complaint):
        return {"complaint": record}
    return {"follow_up": record}


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_add_action(request, code: str):
    def save(case, data, record):
        actions.record_action(
            case=case, user=request.user, kind=data["kind"], date=data["date"], notes=data["notes"]
        )
        return _("Action recorded."), _case_url(case)

    return _case_subform(request, code, CaseActionForm, _("Record an action"), save)


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_refer(request, code: str):
    def save(case, data, record):
        actions.refer_case(
            case=case,
            user=request.user,
            destination=data["destination"],
            destination_service=data["destination_service"],
            destination_detail=data["destination_detail"],
            date=data["date"],
            consent=data["consent"],
            notes=data["notes"],
        )
        return _("Referral recorded."), _case_url(case)

    return _case_subform(request, code, ReferralForm, _("Refer the person"), save)


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_close(request, code: str):
    def save(case, data, record):
        actions.close_case(
            case=case, user=request.user, closed_on=data["closed_on"], reason=data["reason"]
        )
        return _("Case closed."), _case_url(case)

    def pending(case):
        """Warned before she fills the form: closing is refused while anything is pending."""
        return {"pending_items": _pending_links(case, clock.open_items_of_case(case))}

    return _case_subform(request, code, CloseCaseForm, _("Close the case"), save, context=pending)


# The legal clock: complaints, protection measures, follow-ups --------------------------------


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_add_complaint(request, code: str):
    def save(case, data, record):
        complaint = actions.file_complaint(case=case, user=request.user, **data)
        return _("Complaint recorded."), _record_url(case, complaint)

    return _case_subform(request, code, ComplaintForm, _("Record a complaint"), save)


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_add_measure(request, code: str, pk: int):
    def find(case):
        return _of_case(case.complaints, pk)

    def save(case, data, record):
        actions.record_measure(complaint=record, user=request.user, data=data)
        return _("Protection measure recorded."), _record_url(case, record)

    return _case_subform(
        request, code, MeasureForm, _("Record a protection measure"), save, target=find
    )


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_update_measure(request, code: str, pk: int):
    def find(case):
        return _of_case(case.measures.select_related("complaint"), pk)

    def save(case, data, record):
        measure = actions.update_measure(measure=record, user=request.user, data=data)
        return _("Protection measure updated."), _record_url(case, measure.complaint)

    return _case_subform(
        request, code, MeasureForm, _("Update a protection measure"), save, target=find
    )


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_set_complaint_aside(request, code: str, pk: int):
    def find(case):
        return _of_case(case.complaints, pk)

    def save(case, data, record):
        complaint = actions.set_complaint_aside(
            complaint=record, user=request.user, reason=data["reason"]
        )
        return _("The complaint no longer waits for measures."), _record_url(case, complaint)

    return _case_subform(
        request, code, SetAsideForm, _("Set a complaint aside"), save, target=find, open_only=True
    )


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_schedule_follow_up(request, code: str):
    def save(case, data, record):
        follow_up = actions.schedule_follow_up(case=case, user=request.user, **data)
        return _("Follow-up scheduled."), _record_url(case, follow_up)

    return _case_subform(request, code, FollowUpForm, _("Schedule a follow-up"), save)


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_complete_follow_up(request, code: str, pk: int):
    def find(case):
        return _of_case(case.follow_ups, pk)

    def save(case, data, record):
        follow_up = actions.complete_follow_up(
            follow_up=record, user=request.user, done_on=data["done_on"], notes=data["notes"]
        )
        return _("Follow-up marked as done."), _record_url(case, follow_up)

    return _case_subform(
        request,
        code,
        FollowUpDoneForm,
        _("Mark a follow-up as done"),
        save,
        target=find,
        open_only=True,
    )


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_cancel_follow_up(request, code: str, pk: int):
    def find(case):
        return _of_case(case.follow_ups, pk)

    def save(case, data, record):
        follow_up = actions.cancel_follow_up(
            follow_up=record, user=request.user, reason=data["reason"]
        )
        return _("Follow-up cancelled."), _record_url(case, follow_up)

    return _case_subform(
        request,
        code,
        FollowUpCancelForm,
        _("Cancel a follow-up"),
        save,
        target=find,
        open_only=True,
    )


@never_cache
@require_POST
@scope_required(writes_cases)
@once_per_submission
def case_reopen(request, code: str):
    case = get_case_for_user(request.user, code, write=True)

    def reopen():
        actions.reopen_case(case=case, user=request.user)
        messages.success(request, _("Case reopened."))
        return _case_url(case)

    return submit_once(request, reopen)


@never_cache
@require_POST
@scope_required(writes_cases)
def repeat_check(request):
    """Tell the intake form whether a document number has earlier cases in the network.

    A POST, so that the number never appears in a URL or an access log. It answers yes or no,
    never the other cases nor how many, and a caseworker gets a limited number of answers in a
    while: it must not become a way to look people up. It answers only during an intake: the
    request carries the form's unused one-time key and its signed proof (else 404), and every
    answer is audited (`DocumentCheck`).
    """
    service = _service_for_new_case(request)
    intake_key = service and actions.intake_in_progress(
        user=request.user,
        service=service,
        key=request.POST.get(TOKEN_FIELD, ""),
        proof=request.POST.get("intake_proof", ""),
    )
    if not intake_key:
        raise Http404
    try:
        earlier = actions.check_document(
            user=request.user,
            service=service,
            number=request.POST.get("document", ""),
            via=DocumentCheck.Via.CHECK,
            intake_key=intake_key,
        )
    except actions.TooManyDocumentChecks:
        return JsonResponse(
            {"earlier": False, "message": _("Too many checks: try again in a few minutes.")},
            status=429,
        )
    return JsonResponse({"earlier": earlier, "message": repeat_message() if earlier else ""})
