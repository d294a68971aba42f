"""Case pages: thin views that check access, call one action and render.

Case pages are never cached by the browser, and every read of a case page is audited.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from services.converters import is_code
from services.decorators import scope_required
from services.models import CareService, Community
from services.queries import services_visible_to
from services.scopes import scope_for
from services.submissions import TOKEN_FIELD, once_per_submission, submission_key, submit_once

from . import actions
from .forms import (
    ACT_CHOICES,
    CaseActionForm,
    CaseFilterForm,
    CaseForm,
    CloseCaseForm,
    EditCaseForm,
    ReferralForm,
    repeat_message,
)
from .models import DocumentCheck
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
    services = services_visible_to(request.user).filter(
        kind__in=[CareService.Kind.SAR, CareService.Kind.CEM]
    )
    communities = Community.objects.filter(covering_services__in=services).distinct()
    form = CaseFilterForm(request.GET or None, services=services, communities=communities)
    cases = form.filter(cases_visible_to(request.user)).for_list()
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(query)},
    )


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

        def register():
            case = actions.open_case(
                service=service,
                user=request.user,
                data=form.case_data(),
                new_community=form.cleaned_data["new_community"],
            )
            messages.success(request, _("Case %(code)s registered.") % {"code": case.code})
            return _case_url(case)

        return submit_once(request, register)
    return render(
        request,
        "cases/case_form.html",
        {
            "form": form,
            "service": service,
            "intake_proof": actions.intake_proof(user=request.user, service=service),
        },
    )


@never_cache
@scope_required(reads_cases)
def case_detail(request, code: str):
    case = get_case_for_user(request.user, code)
    actions.log_case_view(case=case, user=request.user)
    may_write = case.service_id in scope_for(request.user).service_ids
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "may_write": may_write,
            "act_labels": [label for name, label in ACT_CHOICES if name in case.violence_acts],
            "case_actions": case.actions.select_related("staff"),
            "referrals": case.referrals.select_related("staff", "destination_service"),
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


def _case_subform(request, code: str, form_class, title: str, save):
    """A follow-up form on a case (action, referral, closing): the same page for all three."""
    case = get_case_for_user(request.user, code, write=True)
    if case.is_closed:
        return _closed_refusal(request, case)
    form = form_class(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():

        def perform():
            messages.success(request, save(case, form.cleaned_data))
            return _case_url(case)

        try:
            return submit_once(request, perform)
        except actions.CaseClosedError:
            return _closed_refusal(request, case)
    return render(request, "cases/case_subform.html", {"form": form, "case": case, "title": title})


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_add_action(request, code: str):
    def save(case, data):
        actions.record_action(
            case=case, user=request.user, kind=data["kind"], date=data["date"], notes=data["notes"]
        )
        return _("Action recorded.")

    return _case_subform(request, code, CaseActionForm, _("Record an action"), save)


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_refer(request, code: str):
    def save(case, data):
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
        return _("Referral recorded.")

    return _case_subform(request, code, ReferralForm, _("Refer the person"), save)


@never_cache
@scope_required(writes_cases)
@once_per_submission
def case_close(request, code: str):
    def save(case, data):
        actions.close_case(
            case=case, user=request.user, closed_on=data["closed_on"], reason=data["reason"]
        )
        return _("Case closed.")

    return _case_subform(request, code, CloseCaseForm, _("Close the case"), save)


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
