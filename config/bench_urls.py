"""The application's URLs plus the baseline page `bench_case_list` compares the case list with:
what a peer would write in a few lines (Paginator over every case, with its count,
select_related and a plain template). Mounted only by config/bench_settings.py."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from cases.models import Case
from services.scopes import scope_for

from .urls import urlpatterns as application


@login_required
def bare_case_list(request):
    if not scope_for(request.user).sees_all_services:
        raise Http404  # the national manager's page it is compared with
    cases = Case.objects.select_related("service").order_by("-intake_date", "-id")
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(request, "bench/bare_case_list.html", {"page": page})


urlpatterns = [path("bench/bare-cases/", bare_case_list), *application]
