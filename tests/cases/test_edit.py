"""Editing a case: optimistic locking refuses a save based on a stale copy."""

import pytest
from django.urls import reverse

from cases import actions
from cases.models import AuditEntry, Case


def edit_data(client, case):
    """The edit form's own initial data, as the browser would post it back."""
    form = client.get(reverse("case_edit", args=[case.code])).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if name == "violence_acts":
            data[name] = list(value)
        elif isinstance(value, bool):
            if value:
                data[name] = "on" if name in ("victim_peruvian", "victim_disability") else "true"
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


@pytest.fixture
def editor(cast, as_user):
    return as_user(cast.caseworker_a)


def test_an_edit_saves_bumps_the_version_and_audits_the_change(cast, cases, editor):
    data = edit_data(editor, cases.a)
    data.update(risk_level="3", victim_name="Rosa Quispe")

    response = editor.post(reverse("case_edit", args=[cases.a.code]), data)

    assert response.status_code == 302
    cases.a.refresh_from_db()
    assert cases.a.risk_level == 3
    assert cases.a.version == 2
    entry = AuditEntry.objects.get(case=cases.a, action="update")
    assert entry.user == cast.caseworker_a
    assert entry.changes["risk_level"] == [2, 3]
    # the name's change is recorded, never its value
    assert entry.changes["victim_name"] == "(changed)"
    assert "Rosa" not in str(entry.changes)


def test_a_stale_save_is_refused_and_nothing_is_overwritten(cast, cases, editor):
    data = edit_data(editor, cases.a)  # she opens the form at version 1
    actions.update_case(  # a colleague saves first
        case=cases.a, user=cast.caseworker_a, data={"risk_level": 1}, expected_version=1
    )
    data["risk_level"] = "3"

    response = editor.post(reverse("case_edit", args=[cases.a.code]), data)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Sus cambios no se guardaron" in page
    assert reverse("case_detail", args=[cases.a.code]) in page
    cases.a.refresh_from_db()
    assert cases.a.risk_level == 1
    assert cases.a.version == 2
    # what she typed is still in the form
    assert response.context["form"]["risk_level"].value() == "3"


def test_update_case_refuses_a_stale_version(cast, cases):
    actions.update_case(
        case=cases.a, user=cast.caseworker_a, data={"risk_level": 3}, expected_version=1
    )
    with pytest.raises(actions.StaleCaseError) as stale:
        actions.update_case(
            case=cases.a, user=cast.caseworker_a, data={"risk_level": 1}, expected_version=1
        )
    assert stale.value.current.version == 2
    assert Case.objects.get(pk=cases.a.pk).risk_level == 3


def test_an_edit_with_no_change_writes_nothing(cast, cases, editor):
    data = edit_data(editor, cases.a)
    editor.post(reverse("case_edit", args=[cases.a.code]), data)
    cases.a.refresh_from_db()
    assert cases.a.version == 1
    assert not AuditEntry.objects.filter(case=cases.a, action="update").exists()


def test_a_closed_case_cannot_be_edited(cast, cases, editor):
    actions.close_case(
        case=cases.a, user=cast.caseworker_a, closed_on=cases.a.intake_date, reason="completed"
    )
    response = editor.get(reverse("case_edit", args=[cases.a.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[cases.a.code])


def test_a_first_case_stays_new_when_the_person_comes_back_later(cast, cases, editor):
    from datetime import timedelta

    from tests.factories import CaseFactory

    CaseFactory(
        service=cast.service_a,
        victim_document_type="DNI",
        victim_document_number=cases.a.victim_document_number,
        condition=2,
        intake_date=cases.a.intake_date + timedelta(days=30),
    )
    data = edit_data(editor, cases.a)
    data["risk_level"] = "3"
    response = editor.post(reverse("case_edit", args=[cases.a.code]), data)
    assert response.status_code == 302
