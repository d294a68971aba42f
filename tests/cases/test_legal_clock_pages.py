"""The legal clock on the case pages: complaints, protection measures and follow-ups recorded on
the case page and at intake, each page scoped to the case, safe to send twice, and closing
refused while anything is pending."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from cases import actions, clock
from cases.forms import CaseForm, EditCaseForm
from cases.models import AuditEntry, Case, Complaint, FollowUp, ProtectionMeasure
from services.rules import RuleViolation
from tests.factories import CaseFactory

ALREADY_SENT = "This form had already been sent: nothing was stored twice."


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def worker(cast, as_user):
    return as_user(cast.caseworker_a)


def local_input(moment: datetime) -> str:
    """What a datetime-local input sends for `moment` on the services' clock."""
    return clock.local(moment).strftime("%Y-%m-%dT%H:%M")


def hours_ago(hours: float) -> datetime:
    return (timezone.now() - timedelta(hours=hours)).replace(second=0, microsecond=0)


def file(case, user, *, hours: float = 2) -> Complaint:
    return actions.file_complaint(
        case=case, user=user, filed_at=hours_ago(hours), place="police", filed_by="victim"
    )


def schedule(case, user, *, days: int = 3) -> FollowUp:
    return actions.schedule_follow_up(
        case=case, user=user, kind="call", due_on=clock.today() + timedelta(days=days)
    )


def measure(complaint, user, **data) -> ProtectionMeasure:
    return actions.record_measure(
        complaint=complaint, user=user, data={"measure_type": "RETIRO_AGRESOR", **data}
    )


def errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def complaint_data(**overrides) -> dict:
    return {
        "filed_at": local_input(hours_ago(3)),
        "place": "police",
        "place_name": "Comisaría PNP de Urcos",
        "filed_by": "victim",
        "reference": "DEN-2026-0042",
        **overrides,
    }


def granted(**overrides) -> dict:
    return {
        "measure_type": "RETIRO_AGRESOR",
        "state": "granted",
        "decided_at": local_input(hours_ago(1)),
        "court": "Juzgado de Familia de Urcos",
        "notified_on": "",
        "executed_by": "police",
        "ended_on": "",
        "notes": "",
        **overrides,
    }


def test_measure_types_used_here_are_in_the_law_s_list():
    from cases.measures import TYPES

    assert "RETIRO_AGRESOR" in TYPES.codes()


# The case page -----------------------------------------------------------------------------


def test_the_case_page_lists_complaints_measures_and_follow_ups_with_their_state(
    cast, cases, worker
):
    late = file(cases.a, cast.caseworker_a, hours=30)  # past its 24 hours, nothing decided
    waiting = file(cases.a, cast.caseworker_a, hours=2)
    decided = file(cases.a, cast.caseworker_a, hours=5)
    granted_measure = measure(
        decided,
        cast.caseworker_a,
        state="granted",
        decided_at=hours_ago(4),
        court="Juzgado de Paz de Ccatca",
        executed_by="police",
    )
    set_aside = file(cases.a, cast.caseworker_a, hours=6)
    actions.set_complaint_aside(complaint=set_aside, user=cast.caseworker_a, reason="Duplicada")
    due = schedule(cases.a, cast.caseworker_a)
    cancelled = schedule(cases.a, cast.caseworker_a, days=5)
    actions.cancel_follow_up(follow_up=cancelled, user=cast.caseworker_a, reason="Se mudó")

    page = worker.get(reverse("case_detail", args=[cases.a.code])).content.decode()

    def state_of(kind, pk):
        return re.search(rf'id="{kind}-{pk}"[^>]*data-clock-state="(\w+)"', page).group(1)

    assert state_of("complaint", late.pk) == "overdue"
    assert state_of("complaint", waiting.pk) == "pending"
    assert state_of("complaint", decided.pk) == "decided"
    assert state_of("complaint", set_aside.pk) == "set_aside"
    assert state_of("follow_up", due.pk) == "pending"
    assert state_of("follow_up", cancelled.pk) == "cancelled"
    assert "Overdue" in page and "Duplicada" in page and "Se mudó" in page
    assert re.search(r'data-testid="overdue-count"><span[^>]*>\s*1 item overdue', page)
    assert "Juzgado de Paz de Ccatca" in page and "National Police (PNP)" in page
    assert f'data-testid="measure-{granted_measure.pk}"' in page
    assert "within the deadline" in page
    # Filed and due in Lima time, as the caseworker's clock shows them.
    deadline = formats.date_format(clock.local(waiting.deadline), "SHORT_DATETIME_FORMAT")
    assert f"due {deadline}" in page
    # The anchors the pending list links to (cases.clock.PendingItem.url).
    for hook in (
        f'data-testid="add-measure-{waiting.pk}"',
        f'data-testid="set-aside-{waiting.pk}"',
        f'data-testid="update-measure-{granted_measure.pk}"',
        f'data-testid="follow-up-done-{due.pk}"',
        f'data-testid="follow-up-cancel-{due.pk}"',
        'data-testid="add-complaint"',
        'data-testid="schedule-follow-up"',
    ):
        assert hook in page, hook
    # Settled ones offer nothing more to settle.
    assert f'data-testid="set-aside-{decided.pk}"' not in page
    assert f'data-testid="follow-up-done-{cancelled.pk}"' not in page


def test_the_overdue_state_is_the_clock_s(cast, cases, worker, monkeypatch):
    """The page asks cases.clock, never works the rule out itself: move the clock's idea of
    "on time" and the page follows."""
    complaint = file(cases.a, cast.caseworker_a, hours=2)
    monkeypatch.setattr(clock, "complaint_overdue", lambda complaint, now: True)

    page = worker.get(reverse("case_detail", args=[cases.a.code])).content.decode()

    assert f'id="complaint-{complaint.pk}"' in page
    assert re.search(rf'id="complaint-{complaint.pk}"[^>]*data-clock-state="overdue"', page)


@pytest.mark.parametrize("member", ["regional_manager", "national_manager"])
def test_readers_see_the_clock_but_no_buttons(cast, cases, as_user, member):
    complaint = file(cases.a, cast.caseworker_a)
    schedule(cases.a, cast.caseworker_a)

    page = as_user(getattr(cast, member)).get(reverse("case_detail", args=[cases.a.code]))

    content = page.content.decode()
    assert f'data-testid="complaint-{complaint.pk}"' in content
    assert 'data-testid="add-complaint"' not in content
    assert f'data-testid="add-measure-{complaint.pk}"' not in content
    assert "schedule-follow-up" not in content


def test_a_closed_case_shows_its_records_without_buttons(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a)
    actions.set_complaint_aside(complaint=complaint, user=cast.caseworker_a, reason="Retirada")
    actions.close_case(
        case=cases.a, user=cast.caseworker_a, closed_on=timezone.localdate(), reason="completed"
    )

    content = worker.get(reverse("case_detail", args=[cases.a.code])).content.decode()

    assert f'data-testid="complaint-{complaint.pk}"' in content
    assert "add-complaint" not in content and f"add-measure-{complaint.pk}" not in content


def populate(case, user, count: int) -> None:
    for index in range(count):
        complaint = file(case, user, hours=3 + index)
        measure(complaint, user, state="granted", decided_at=hours_ago(2 + index))
        measure(complaint, user)
        schedule(case, user, days=1 + index)


def test_the_case_page_s_queries_do_not_grow_with_its_records(
    cast, cases, worker, django_assert_num_queries
):
    other = CaseFactory(service=cast.service_a)
    populate(cases.a, cast.caseworker_a, 1)
    populate(other, cast.caseworker_a, 15)
    worker.get(reverse("case_detail", args=[cases.a.code]))  # the session settles
    with CaptureQueriesContext(connection) as one:
        worker.get(reverse("case_detail", args=[cases.a.code]))

    # The same as with one of each: complaints, their measures, follow-ups, one query each.
    with django_assert_num_queries(len(one)):
        response = worker.get(reverse("case_detail", args=[other.code]))
    assert len(re.findall(r'data-testid="complaint-\d+"', response.content.decode())) == 15


# Recording a complaint ------------------------------------------------------------------------


def test_a_complaint_is_recorded_in_lima_time_and_starts_the_clock(cast, cases, worker):
    url = reverse("case_add_complaint", args=[cases.a.code])
    page = worker.get(url)
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.content.decode()
    filed = hours_ago(3)

    response = worker.post(url, complaint_data(filed_at=local_input(filed)))

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{cases.a.code}/#complaint-{complaint.pk}"
    assert complaint.filed_at == filed
    assert complaint.deadline == filed + timedelta(hours=24)
    assert (complaint.case, complaint.service) == (cases.a, cast.service_a)
    assert complaint.place_name == "Comisaría PNP de Urcos"
    assert AuditEntry.objects.filter(case=cases.a, action="complaint").count() == 1


def test_a_late_evening_complaint_is_read_on_the_lima_clock(cast, cases, worker, settings):
    """23:30 typed in Peru is 04:30 the next day in UTC, whatever the server's zone."""
    settings.TIME_ZONE = "UTC"
    yesterday = clock.today() - timedelta(days=1)
    response = worker.post(
        reverse("case_add_complaint", args=[cases.a.code]),
        complaint_data(filed_at=f"{yesterday.isoformat()}T23:30"),
    )

    assert response.status_code == 302
    filed = Complaint.objects.get().filed_at
    assert clock.local(filed).strftime("%H:%M") == "23:30"
    assert filed.astimezone(UTC).strftime("%H:%M") == "04:30"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"filed_at": local_input(timezone.now() + timedelta(hours=2))},
            "filed_at",
            "The complaint cannot have been filed in the future.",
        ),
        ({"filed_at": ""}, "filed_at", ""),
        ({"filed_at": "ayer"}, "filed_at", ""),
        ({"place_name": "=HYPERLINK(1)"}, "place_name", ""),
        ({"place": "embassy"}, "place", ""),
    ],
)
def test_a_complaint_s_problems_are_shown_next_to_its_fields(
    cases, worker, overrides, field, message
):
    response = worker.post(
        reverse("case_add_complaint", args=[cases.a.code]), complaint_data(**overrides)
    )

    assert response.status_code == 200
    assert errors(response, field)
    if message:
        assert message in errors(response, field)
    assert "is-invalid" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_complaint_sent_twice_is_stored_once(cases, worker):
    data = {**complaint_data(), "submission_token": str(uuid.uuid4())}
    url = reverse("case_add_complaint", args=[cases.a.code])

    first = worker.post(url, data)
    second = worker.post(url, data, follow=True)

    assert Complaint.objects.count() == 1
    assert second.redirect_chain[0][0] == first["Location"]
    assert ALREADY_SENT in said(second)


# Measures -------------------------------------------------------------------------------------


def test_a_granted_measure_settles_its_complaint(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a, hours=3)
    url = reverse("case_add_measure", args=[cases.a.code, complaint.pk])
    page = worker.get(url)
    assert page.status_code == 200
    assert 'data-testid="form-target"' in page.content.decode()
    decided = hours_ago(1)

    response = worker.post(url, granted(decided_at=local_input(decided)))

    assert response.status_code == 302
    assert response["Location"].endswith(f"#complaint-{complaint.pk}")
    stored = ProtectionMeasure.objects.get()
    assert (stored.state, stored.decided_at, stored.complaint) == ("granted", decided, complaint)
    complaint.refresh_from_db()
    assert complaint.settled_at == decided
    cases.a.refresh_from_db()
    assert cases.a.protective_measures is True


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"decided_at": ""}, "decided_at", "Give the date and time of the court's decision."),
        (
            {"decided_at": local_input(hours_ago(10))},
            "decided_at",
            "The decision cannot come before the complaint was filed.",
        ),
        (
            {"state": "requested"},
            "decided_at",
            "A measure only requested has no date of decision yet.",
        ),
        ({"state": "lifted"}, "ended_on", "Give the date it was lifted or expired."),
        ({"measure_type": "NOT_IN_THE_LAW"}, "measure_type", ""),
    ],
)
def test_a_measure_s_problems_are_shown_next_to_its_fields(
    cast, cases, worker, overrides, field, message
):
    complaint = file(cases.a, cast.caseworker_a, hours=3)

    response = worker.post(
        reverse("case_add_measure", args=[cases.a.code, complaint.pk]), granted(**overrides)
    )

    assert response.status_code == 200
    assert errors(response, field)
    if message:
        assert message in errors(response, field)
    assert not ProtectionMeasure.objects.exists()


def test_a_measure_sent_twice_is_stored_once(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a, hours=3)
    data = {**granted(), "submission_token": str(uuid.uuid4())}
    url = reverse("case_add_measure", args=[cases.a.code, complaint.pk])

    worker.post(url, data)
    second = worker.post(url, data, follow=True)

    assert ProtectionMeasure.objects.count() == 1
    assert ALREADY_SENT in said(second)


def test_a_measure_moves_on_only_to_the_states_it_may_reach(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a, hours=3)
    stored = measure(complaint, cast.caseworker_a, state="granted", decided_at=hours_ago(2))
    url = reverse("case_update_measure", args=[cases.a.code, stored.pk])

    page = worker.get(url)

    offered = [value for value, _label in page.context["form"].fields["state"].choices]
    assert offered == ["granted", "in_force", "lifted", "expired"]
    assert page.context["form"]["decided_at"].value() == clock.local(stored.decided_at).replace(
        tzinfo=None
    )
    refused = worker.post(url, granted(state="requested", decided_at=""))
    assert refused.status_code == 200
    assert errors(refused, "state")

    today = clock.today().isoformat()
    response = worker.post(
        url,
        granted(
            state="in_force",
            decided_at=local_input(stored.decided_at),
            notified_on=today,
            executed_by="police",
        ),
    )

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.state, stored.notified_on.isoformat()) == ("in_force", today)
    assert AuditEntry.objects.filter(action="measure").count() == 2


# Setting a complaint aside --------------------------------------------------------------------


def test_a_complaint_is_set_aside_only_with_a_reason(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a)
    url = reverse("case_set_complaint_aside", args=[cases.a.code, complaint.pk])
    assert worker.get(url).status_code == 200

    refused = worker.post(url, {"reason": "   "})
    assert "Say why: the reason is kept with the case." in errors(refused, "reason")

    response = worker.post(url, {"reason": "La denuncia se presentó dos veces."})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.settled_at is not None
    assert complaint.set_aside_reason == "La denuncia se presentó dos veces."


def test_setting_aside_a_complaint_already_settled_says_so(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a, hours=3)
    measure(complaint, cast.caseworker_a, state="denied", decided_at=hours_ago(1))

    response = worker.post(
        reverse("case_set_complaint_aside", args=[cases.a.code, complaint.pk]),
        {"reason": "Retirada"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/cases/{cases.a.code}/#complaint-{complaint.pk}"
    assert any("already settled" in message for message in said(response))
    complaint.refresh_from_db()
    assert complaint.set_aside_reason == ""


def test_a_settled_record_is_not_offered_to_settle_again(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a)
    actions.set_complaint_aside(complaint=complaint, user=cast.caseworker_a, reason="Retirada")

    response = worker.get(
        reverse("case_set_complaint_aside", args=[cases.a.code, complaint.pk]), follow=True
    )

    assert response.redirect_chain == [(f"/cases/{cases.a.code}/#complaint-{complaint.pk}", 302)]
    assert any("already settled" in message for message in said(response))


def test_a_colleague_settling_it_meanwhile_is_a_message_not_an_error(
    cast, cases, worker, monkeypatch
):
    follow_up = schedule(cases.a, cast.caseworker_a)

    def settled_meanwhile(**kwargs):
        raise actions.AlreadySettledError

    monkeypatch.setattr(actions, "cancel_follow_up", settled_meanwhile)

    response = worker.post(
        reverse("case_cancel_follow_up", args=[cases.a.code, follow_up.pk]),
        {"reason": "No procede"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/cases/{cases.a.code}/#follow_up-{follow_up.pk}"
    assert any("already settled" in message for message in said(response))


def test_a_set_aside_sent_twice_answers_the_first_result(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a)
    data = {"reason": "Retirada", "submission_token": str(uuid.uuid4())}
    url = reverse("case_set_complaint_aside", args=[cases.a.code, complaint.pk])

    worker.post(url, data)
    second = worker.post(url, data, follow=True)

    assert ALREADY_SENT in said(second)
    assert AuditEntry.objects.filter(action="complaint", changes__set_aside=True).count() == 1


# Follow-ups -----------------------------------------------------------------------------------


def test_a_follow_up_is_scheduled(cast, cases, worker):
    url = reverse("case_schedule_follow_up", args=[cases.a.code])
    assert worker.get(url).status_code == 200
    due = clock.today() + timedelta(days=7)

    response = worker.post(url, {"kind": "home_visit", "due_on": due.isoformat(), "notes": ""})

    follow_up = FollowUp.objects.get()
    assert response["Location"] == f"/cases/{cases.a.code}/#follow_up-{follow_up.pk}"
    assert (follow_up.kind, follow_up.due_on, follow_up.case) == ("home_visit", due, cases.a)


@pytest.mark.parametrize(
    "days, message",
    [(-1, "Schedule it for today or a later day."), (400, "Schedule it within the next year.")],
)
def test_a_follow_up_s_date_follows_the_rule(cases, worker, days, message):
    due = clock.today() + timedelta(days=days)

    response = worker.post(
        reverse("case_schedule_follow_up", args=[cases.a.code]),
        {"kind": "call", "due_on": due.isoformat()},
    )

    assert message in errors(response, "due_on")
    assert not FollowUp.objects.exists()


def test_a_follow_up_sent_twice_is_stored_once(cases, worker):
    data = {
        "kind": "call",
        "due_on": clock.today().isoformat(),
        "submission_token": str(uuid.uuid4()),
    }
    url = reverse("case_schedule_follow_up", args=[cases.a.code])

    worker.post(url, data)
    second = worker.post(url, data, follow=True)

    assert FollowUp.objects.count() == 1
    assert ALREADY_SENT in said(second)


def test_a_follow_up_is_marked_done_with_a_note(cast, cases, worker):
    follow_up = schedule(cases.a, cast.caseworker_a)
    url = reverse("case_complete_follow_up", args=[cases.a.code, follow_up.pk])
    page = worker.get(url)
    assert page.context["form"]["done_on"].value() == clock.today()

    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    refused = worker.post(url, {"done_on": tomorrow, "notes": ""})
    assert "The date it was done cannot be in the future." in errors(refused, "done_on")

    response = worker.post(url, {"done_on": clock.today().isoformat(), "notes": "Está bien."})

    assert response["Location"].endswith(f"#follow_up-{follow_up.pk}")
    follow_up.refresh_from_db()
    assert follow_up.done_on == clock.today()
    assert "Está bien." in follow_up.notes
    assert follow_up.closed_by == cast.caseworker_a


def test_a_follow_up_is_cancelled_only_with_a_reason(cast, cases, worker):
    follow_up = schedule(cases.a, cast.caseworker_a)
    url = reverse("case_cancel_follow_up", args=[cases.a.code, follow_up.pk])
    assert worker.get(url).status_code == 200

    refused = worker.post(url, {"reason": ""})
    assert "Say why: the reason is kept with the case." in errors(refused, "reason")

    worker.post(url, {"reason": "Se mudó a Lima."})
    follow_up.refresh_from_db()
    assert follow_up.cancel_reason == "Se mudó a Lima."

    # Settled already: the done page says so instead of failing.
    again = worker.post(
        reverse("case_complete_follow_up", args=[cases.a.code, follow_up.pk]),
        {"done_on": clock.today().isoformat()},
        follow=True,
    )
    assert any("already settled" in message for message in said(again))
    follow_up.refresh_from_db()
    assert follow_up.done_on is None


def test_a_rule_refusal_at_storing_time_is_a_field_error(cases, worker, monkeypatch):
    """The form checked, then the day turned before the action stored: no server error."""

    def refuse(**kwargs):
        raise RuleViolation([("due_on", "Schedule it for today or a later day.")])

    monkeypatch.setattr(actions, "schedule_follow_up", refuse)

    response = worker.post(
        reverse("case_schedule_follow_up", args=[cases.a.code]),
        {"kind": "call", "due_on": clock.today().isoformat()},
    )

    assert response.status_code == 200
    assert "Schedule it for today or a later day." in errors(response, "due_on")


# Who may, and on which case -------------------------------------------------------------------

OUTSIDERS = [
    "caseworker_b",
    "regional_manager",
    "national_manager",
    "shelter_staff",
    "admin",
    "outsider",
]


def stored_counts() -> tuple[int, int, int]:
    return Complaint.objects.count(), ProtectionMeasure.objects.count(), FollowUp.objects.count()


def clock_urls(case, complaint, measure_, follow_up) -> dict[str, str]:
    code = case.code
    return {
        "add complaint": reverse("case_add_complaint", args=[code]),
        "add measure": reverse("case_add_measure", args=[code, complaint.pk]),
        "update measure": reverse("case_update_measure", args=[code, measure_.pk]),
        "set aside": reverse("case_set_complaint_aside", args=[code, complaint.pk]),
        "schedule": reverse("case_schedule_follow_up", args=[code]),
        "done": reverse("case_complete_follow_up", args=[code, follow_up.pk]),
        "cancel": reverse("case_cancel_follow_up", args=[code, follow_up.pk]),
    }


def records_of(case, user):
    complaint = file(case, user)
    return complaint, measure(complaint, user), schedule(case, user)


POSTS = {
    "add complaint": complaint_data,
    "add measure": granted,
    "update measure": granted,
    "set aside": lambda: {"reason": "x"},
    "schedule": lambda: {"kind": "call", "due_on": clock.today().isoformat()},
    "done": lambda: {"done_on": clock.today().isoformat()},
    "cancel": lambda: {"reason": "x"},
}


@pytest.mark.parametrize("page", list(POSTS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_no_one_outside_the_case_s_service_reaches_its_clock_pages(
    cast, cases, as_user, page, method
):
    url = clock_urls(cases.a, *records_of(cases.a, cast.caseworker_a))[page]
    stored = (
        Complaint.objects.count(),
        ProtectionMeasure.objects.count(),
        FollowUp.objects.count(),
    )

    for member in OUTSIDERS:
        client = as_user(getattr(cast, member))
        response = client.get(url) if method == "get" else client.post(url, POSTS[page]())
        assert response.status_code == 404, member

    after = stored_counts()
    assert after == stored
    assert Complaint.objects.get().settled_at is None
    assert FollowUp.objects.get().closed_at is None


@pytest.mark.parametrize("page", ["add measure", "update measure", "set aside", "done", "cancel"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_record_of_another_case_is_not_found_through_this_one(cast, cases, worker, page, method):
    """The record's number must belong to the case in the URL: another case of her own service,
    or another service's, answers 404 as if it did not exist."""
    sibling = CaseFactory(service=cast.service_a)
    theirs = clock_urls(cases.a, *records_of(sibling, cast.caseworker_a))[page]
    other_service = clock_urls(cases.a, *records_of(cases.b, cast.caseworker_b))[page]

    for url in (theirs, other_service):
        response = worker.get(url) if method == "get" else worker.post(url, POSTS[page]())
        assert response.status_code == 404, url
    assert not Complaint.objects.exclude(settled_at=None).exists()
    assert not FollowUp.objects.exclude(closed_at=None).exists()


@pytest.mark.parametrize(
    "name", ["case_add_measure", "case_update_measure", "case_complete_follow_up"]
)
def test_a_number_no_row_could_have_is_not_found(cases, worker, name):
    response = worker.get(reverse(name, args=[cases.a.code, 10**30]))

    assert response.status_code == 404


@pytest.mark.parametrize("page", list(POSTS))
def test_nothing_is_recorded_on_a_closed_case(cast, cases, worker, page):
    urls = clock_urls(cases.a, *records_of(cases.a, cast.caseworker_a))
    complaint, follow_up = Complaint.objects.get(), FollowUp.objects.get()
    actions.set_complaint_aside(complaint=complaint, user=cast.caseworker_a, reason="Retirada")
    actions.cancel_follow_up(follow_up=follow_up, user=cast.caseworker_a, reason="No procede")
    actions.close_case(
        case=cases.a, user=cast.caseworker_a, closed_on=timezone.localdate(), reason="completed"
    )
    before = (
        Complaint.objects.count(),
        ProtectionMeasure.objects.count(),
        FollowUp.objects.count(),
    )

    response = worker.post(urls[page], POSTS[page](), follow=True)

    assert response.redirect_chain[-1][0] == f"/cases/{cases.a.code}/"
    assert actions.closed_case_message() in said(response)
    after = stored_counts()
    assert after == before


def test_a_case_closed_meanwhile_is_a_message_not_an_error(cases, worker, monkeypatch):
    def closed(**kwargs):
        raise actions.CaseClosedError

    monkeypatch.setattr(actions, "file_complaint", closed)

    response = worker.post(
        reverse("case_add_complaint", args=[cases.a.code]), complaint_data(), follow=True
    )

    assert actions.closed_case_message() in said(response)


# Closing --------------------------------------------------------------------------------------


def test_the_close_page_warns_of_pending_items_with_a_link_to_each(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a, hours=30)
    follow_up = schedule(cases.a, cast.caseworker_a)

    page = worker.get(reverse("case_close", args=[cases.a.code])).content.decode()

    assert 'data-testid="pending-items"' in page
    assert f'href="/cases/{cases.a.code}/#complaint-{complaint.pk}"' in page
    assert f'href="/cases/{cases.a.code}/#follow_up-{follow_up.pk}"' in page
    assert "This case has 2 pending items." in page


def test_the_close_page_has_no_warning_when_nothing_is_pending(cast, cases, worker):
    page = worker.get(reverse("case_close", args=[cases.a.code])).content.decode()

    assert 'data-testid="pending-items"' not in page


def test_closing_with_pending_items_is_refused_and_lists_them(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a)
    follow_up = schedule(cases.a, cast.caseworker_a)

    response = worker.post(
        reverse("case_close", args=[cases.a.code]),
        {
            "closed_on": timezone.localdate().isoformat(),
            "reason": "completed",
            "submission_token": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 409
    content = response.content.decode()
    assert "The case cannot be closed while items are pending." in content
    assert f"#complaint-{complaint.pk}" in content and f"#follow_up-{follow_up.pk}" in content
    cases.a.refresh_from_db()
    assert cases.a.status != Case.Status.CLOSED
    assert not AuditEntry.objects.filter(case=cases.a, action="close").exists()


def test_closing_goes_ahead_once_each_item_is_settled(cast, cases, worker):
    complaint = file(cases.a, cast.caseworker_a)
    follow_up = schedule(cases.a, cast.caseworker_a)
    actions.set_complaint_aside(complaint=complaint, user=cast.caseworker_a, reason="Retirada")
    actions.complete_follow_up(follow_up=follow_up, user=cast.caseworker_a, done_on=clock.today())

    response = worker.post(
        reverse("case_close", args=[cases.a.code]),
        {"closed_on": timezone.localdate().isoformat(), "reason": "completed"},
    )

    assert response.status_code == 302
    cases.a.refresh_from_db()
    assert cases.a.status == Case.Status.CLOSED


# The intake -----------------------------------------------------------------------------------


def test_an_intake_with_a_complaint_and_a_follow_up_records_all_three(cast, worker, intake):
    filed = hours_ago(5)
    due = clock.today() + timedelta(days=2)
    data = {
        **intake,
        "complaint_filed_at": local_input(filed),
        "complaint_place": "prosecutor",
        "complaint_place_name": "Fiscalía Provincial de Quispicanchi",
        "complaint_filed_by": "service",
        "complaint_reference": "F-123",
        "follow_up_kind": "home_visit",
        "follow_up_due_on": due.isoformat(),
        "submission_token": str(uuid.uuid4()),
    }

    response = worker.post(reverse("case_create"), data)
    again = worker.post(reverse("case_create"), data)

    case = Case.objects.get()
    assert response.status_code == 302 and again.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.case, complaint.filed_at, complaint.place) == (case, filed, "prosecutor")
    assert complaint.reference == "F-123" and complaint.filed_by == "service"
    follow_up = FollowUp.objects.get()
    assert (follow_up.case, follow_up.kind, follow_up.due_on) == (case, "home_visit", due)
    assert case.complaint_filed is True
    assert list(
        AuditEntry.objects.filter(case=case)
        .exclude(action="view")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "complaint", "follow_up"]


def test_an_intake_without_the_section_records_no_complaint(cast, worker, intake):
    response = worker.post(reverse("case_create"), intake)

    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert not Complaint.objects.exists() and not FollowUp.objects.exists()


@pytest.mark.parametrize(
    "section, missing",
    [
        ({"complaint_place": "police"}, {"complaint_filed_at", "complaint_filed_by"}),
        (
            {"complaint_filed_at": local_input(hours_ago(1))},
            {"complaint_place", "complaint_filed_by"},
        ),
        ({"follow_up_kind": "call"}, {"follow_up_due_on"}),
        ({"follow_up_due_on": clock.today().isoformat()}, {"follow_up_kind"}),
    ],
)
def test_a_partly_given_complaint_or_follow_up_is_refused_field_by_field(
    worker, intake, section, missing
):
    response = worker.post(reverse("case_create"), {**intake, **section})

    assert response.status_code == 200
    assert missing <= set(response.context["form"].errors)
    assert not Case.objects.exists()
    assert 'id="section-clock" data-section open' in response.content.decode()


def test_an_intake_complaint_in_the_future_is_refused_by_the_rule(worker, intake):
    response = worker.post(
        reverse("case_create"),
        {
            **intake,
            "complaint_filed_at": local_input(timezone.now() + timedelta(days=1)),
            "complaint_place": "police",
            "complaint_filed_by": "victim",
        },
    )

    assert "The complaint cannot have been filed in the future." in errors(
        response, "complaint_filed_at"
    )
    assert not Case.objects.exists() and not Complaint.objects.exists()


def test_a_refusal_while_storing_the_intake_stores_nothing(worker, intake, monkeypatch):
    def refuse(**kwargs):
        raise RuleViolation([("due_on", "Schedule it for today or a later day.")])

    monkeypatch.setattr(actions, "schedule_follow_up", refuse)

    response = worker.post(
        reverse("case_create"),
        {**intake, "follow_up_kind": "call", "follow_up_due_on": clock.today().isoformat()},
    )

    assert response.status_code == 200
    assert "Schedule it for today or a later day." in errors(response, "follow_up_due_on")
    assert not Case.objects.exists()


def test_the_edit_form_has_no_complaint_section(cast, cases, worker):
    assert "complaint_filed_at" in CaseForm.base_fields
    assert not {"complaint_filed_at", "follow_up_kind"} & set(EditCaseForm.base_fields)

    page = worker.get(reverse("case_edit", args=[cases.a.code])).content.decode()

    assert "section-clock" not in page and "complaint_filed_at" not in page
    assert "section-clock" in worker.get(reverse("case_create")).content.decode()


# Nasty values (a NUL, a huge number, broken UTF-8...) are form errors, never a server error ----


@pytest.mark.parametrize("page", list(POSTS))
def test_a_nasty_value_in_a_clock_form_is_never_a_server_error(cast, cases, client, page):
    from tests.test_fuzz import NASTY, encode, server_errors

    url = clock_urls(cases.a, *records_of(cases.a, cast.caseworker_a))[page]
    client.force_login(cast.caseworker_a)
    client.raise_request_exception = False
    valid = POSTS[page]()

    for field in [*valid, "submission_token"]:

        def send(value, field=field):
            body = encode({**valid, field: value})
            return client.post(url, body, content_type="application/x-www-form-urlencoded")

        assert server_errors(send, NASTY) == [], field
