"""The admin speaks Spanish for django-axes (which ships no Spanish) and the audit trail too."""

import re

from django.urls import reverse

from tests.factories import CaseFactory


def column_headers(page: str) -> list[str]:
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, flags=re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", header).strip() for header in headers]


def test_the_admin_index_names_the_axes_models_in_spanish(cast, as_user):
    page = as_user(cast.admin).get(reverse("admin:index")).content.decode()

    assert "Intentos de inicio de sesión" in page  # the app
    assert "Intentos de acceso" in page
    assert "Registros de acceso" in page
    for english in ("Axes", "Access attempts", "Access logs"):
        assert english not in page


def test_the_axes_lists_have_spanish_columns(cast, as_user):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=2,
    )
    client = as_user(cast.admin)
    headers = column_headers(
        client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    )
    assert {"Hora del intento", "Dirección IP", "Nombre de usuario"} <= set(headers)
    assert "Estado" in headers
    assert not {"Attempt Time", "Status"} & set(headers)


def test_the_audit_trail_column_says_caso(cast, as_user):
    case = CaseFactory(service=cast.service_a)
    client = as_user(cast.admin)
    client.get(reverse("admin:cases_case_change", args=[case.pk]))  # audited: one entry

    page = client.get(reverse("admin:cases_auditentry_changelist")).content.decode()

    headers = column_headers(page)
    assert "Caso" in headers
    assert "Case" not in headers
    assert case.code in page
