"""A case captured offline with its complaint and next follow-up: both are recorded with it,
judged by the clock as of when she wrote them, not when the device came back in signal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import clock
from cases.models import AuditEntry, Case, Complaint, FollowUp

from .conftest import item, sync


@pytest.fixture
def client_a(cast, as_user):
    return as_user(cast.caseworker_a)


def _with_clock(intake, *, written, due_on, filed):
    return {
        **intake,
        "complaint_filed_at": clock.local(filed).strftime("%Y-%m-%dT%H:%M"),
        "complaint_place": "police",
        "complaint_place_name": "Comisaría PNP de Ccatca",
        "complaint_filed_by": "victim",
        "complaint_reference": "",
        "follow_up_kind": "home_visit",
        "follow_up_due_on": due_on.isoformat(),
    }


def test_the_complaint_and_follow_up_of_an_offline_intake_are_recorded(cast, client_a, intake):
    written = timezone.now() - timedelta(days=3)
    filed = written - timedelta(hours=5)
    due_on = clock.today(written) + timedelta(days=1)  # already past when the device syncs
    data = _with_clock(intake, written=written, due_on=due_on, filed=filed)

    (answer,) = sync(
        client_a, item("case", data, service=cast.service_a.code, captured_at=written.isoformat())
    )

    assert answer["status"] == "accepted", answer
    case = Case.objects.get()
    complaint = Complaint.objects.get(case=case)
    assert complaint.filed_at == filed.replace(second=0, microsecond=0)
    assert complaint.deadline == clock.deadline_for(complaint.filed_at)
    assert complaint.service == cast.service_a
    follow_up = FollowUp.objects.get(case=case)
    assert (follow_up.kind, follow_up.due_on) == ("home_visit", due_on)
    assert case.complaint_filed is True
    # Both are on her pending list, overdue: the sync came back after their time.
    pending = clock.pending_items(services=[cast.service_a.pk])
    assert {(i.kind, i.overdue) for i in pending.items} == {
        ("complaint", True),
        ("follow_up", True),
    }
    actions = set(AuditEntry.objects.filter(case=case).values_list("action", flat=True))
    assert actions == {"create", "complaint", "follow_up"}


def test_a_follow_up_dated_before_it_was_written_is_refused_with_the_case(cast, client_a, intake):
    written = timezone.now() - timedelta(days=3)
    data = _with_clock(
        intake,
        written=written,
        due_on=clock.today(written) - timedelta(days=1),
        filed=written - timedelta(hours=1),
    )

    (answer,) = sync(
        client_a, item("case", data, service=cast.service_a.code, captured_at=written.isoformat())
    )

    assert answer["status"] == "refused"
    assert "follow_up_due_on" in answer["errors"]
    assert not Case.objects.exists() and not Complaint.objects.exists()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "2001-05-01T10:00:00-05:00"])
def test_a_capture_time_before_the_network_existed_is_refused(cast, client_a, intake, moment):
    """A device whose clock went back years: the item is refused on its capture time, never
    judged (a follow-up "due today" in 2001) nor a server error."""
    data = _with_clock(
        intake,
        written=timezone.now(),
        due_on=clock.today() + timedelta(days=1),
        filed=timezone.now() - timedelta(hours=1),
    )

    (answer,) = sync(client_a, item("case", data, service=cast.service_a.code, captured_at=moment))

    assert answer["status"] == "refused"
    assert "captured_at" in answer["errors"]
    assert not Case.objects.exists()
