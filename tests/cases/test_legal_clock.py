"""The legal clock's core: deadlines, what is pending, and the writes that settle it.

Every moment here is written on the services' clock (America/Lima, UTC-5 all year) and passed
to the clock and the actions as `now`, so that the edges (23:30, exactly 24 hours, midnight in
Lima being 05:00 in UTC) are tested exactly, without waiting and whatever the server's zone.
"""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from cases import actions, clock, rules
from cases.actions import AlreadySettledError, CaseClosedError, PendingItemsError
from cases.models import AuditEntry, Case, Complaint, FollowUp, ProtectionMeasure
from services.models import CareService
from services.rules import RuleViolation
from tests.factories import CaseFactory

LIMA = ZoneInfo("America/Lima")
State = ProtectionMeasure.State

# The same checks under the deployment's zone and under a server set to UTC: the clock must
# count in the services' zone whatever the server's.
server_zones = pytest.mark.parametrize("server_zone", ["America/Lima", "UTC"])


def at(*args) -> datetime:
    """A moment on the services' clock: `at(2024, 5, 10, 23, 30)` is 23:30 in Lima."""
    return datetime(*args, tzinfo=LIMA)


def file(case, user, filed_at, *, now=None, **extra) -> Complaint:
    return actions.file_complaint(
        case=case,
        user=user,
        filed_at=filed_at,
        place=extra.pop("place", Complaint.Place.POLICE),
        filed_by=extra.pop("filed_by", Complaint.FiledBy.VICTIM),
        now=now or filed_at,
        **extra,
    )


def measure(complaint, user, *, now, **data) -> ProtectionMeasure:
    return actions.record_measure(
        complaint=complaint,
        user=user,
        data={"measure_type": "RETIRO_AGRESOR", **data},
        now=now,
    )


def schedule(case, user, due_on, *, now, kind=FollowUp.Kind.HOME_VISIT) -> FollowUp:
    return actions.schedule_follow_up(case=case, user=user, kind=kind, due_on=due_on, now=now)


def listed(now, services=None) -> list[tuple[str, int, bool]]:
    """What the pending list shows at `now`: (kind, pk, overdue), in its order."""
    return [
        (item.kind, item.pk, item.overdue)
        for item in clock.pending_items(services=services, now=now).items
    ]


def fields_of(error: RuleViolation) -> set[str]:
    return {field for field, _message in error.problems}


@pytest.fixture
def user(cast):
    return cast.caseworker_a


# 1. Time edges on the services' clock -------------------------------------------------------------


def test_the_deadline_is_the_legal_hours_after_filing(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 23, 30))
    assert clock.deadline_hours() == 24
    assert complaint.deadline == at(2024, 5, 11, 23, 30) == clock.deadline_for(complaint.filed_at)


@override_settings(PROTECTION_MEASURE_DEADLINE_HOURS=48)
def test_a_complaint_keeps_the_hours_in_force_when_it_was_recorded(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 9))
    with override_settings(PROTECTION_MEASURE_DEADLINE_HOURS=24):
        complaint.refresh_from_db()
        assert complaint.deadline == at(2024, 5, 12, 9)


@server_zones
def test_a_complaint_filed_at_2330_is_due_the_next_day_until_2330(cast, cases, user, server_zone):
    complaint = file(cases.a, user, at(2024, 5, 10, 23, 30))
    pk = complaint.pk
    with override_settings(TIME_ZONE=server_zone):
        # The day it was filed: its deadline is tomorrow, nothing to show yet.
        assert listed(at(2024, 5, 10, 23, 45)) == []
        assert clock.pending_count(services=None, now=at(2024, 5, 10, 23, 59, 59)) == 0
        # From midnight in Lima, due today...
        assert listed(at(2024, 5, 11, 0, 0)) == [("complaint", pk, False)]
        # ... up to and including the very moment of the deadline...
        deadline = at(2024, 5, 11, 23, 30)
        pending = clock.pending_items(now=deadline)
        assert (pending.overdue, pending.due_today) == (0, 1)
        (item,) = pending.items
        assert item.due_at == deadline and item.due_on == date(2024, 5, 11)
        # ... and overdue from one second later, on that day and the days after.
        assert listed(deadline + timedelta(seconds=1)) == [("complaint", pk, True)]
        pending = clock.pending_items(now=at(2024, 5, 13, 8))
        assert (pending.overdue, pending.due_today) == (1, 0)
        assert clock.pending_count(services=None, now=at(2024, 5, 13, 8)) == 1


@server_zones
def test_a_deadline_at_midnight_belongs_to_the_day_it_starts(cases, user, server_zone):
    complaint = file(cases.a, user, at(2024, 5, 11, 0, 0))
    with override_settings(TIME_ZONE=server_zone):
        assert listed(at(2024, 5, 11, 23, 59, 59)) == []
        assert listed(at(2024, 5, 12, 0, 0)) == [("complaint", complaint.pk, False)]
        assert listed(at(2024, 5, 12, 0, 0, 1)) == [("complaint", complaint.pk, True)]
        (item,) = clock.pending_items(now=at(2024, 5, 12)).items
        assert item.due_on == date(2024, 5, 12)


def test_a_measure_decided_at_exactly_24_hours_is_within_the_deadline(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 23, 30))
    deadline = complaint.deadline
    assert clock.within_deadline(deadline, at(2024, 5, 11, 23, 30))
    assert clock.within_deadline(deadline, deadline - timedelta(hours=23))
    assert not clock.within_deadline(deadline, deadline + timedelta(seconds=1))
    assert clock.hours_between(complaint.filed_at, deadline) == 24

    granted = measure(
        complaint, user, now=at(2024, 5, 12), state=State.GRANTED, decided_at=deadline
    )
    complaint.refresh_from_db()
    assert complaint.settled_at == deadline
    assert clock.within_deadline(complaint.deadline, granted.decided_at)
    # Settled at the deadline: never shown as overdue, then or later.
    assert listed(deadline) == listed(deadline + timedelta(seconds=1)) == []


def test_a_measure_decided_one_second_late_settles_it_but_not_within_the_deadline(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 23, 30))
    late = complaint.deadline + timedelta(seconds=1)
    # Before the decision is recorded, the complaint was overdue for that second.
    assert listed(late) == [("complaint", complaint.pk, True)]
    granted = measure(complaint, user, now=late, state=State.GRANTED, decided_at=late)
    complaint.refresh_from_db()
    assert complaint.settled_at == late
    assert not clock.within_deadline(complaint.deadline, granted.decided_at)
    assert listed(late + timedelta(hours=1)) == []


@server_zones
def test_today_is_limas_across_the_utc_date_boundary(cast, cases, user, server_zone):
    """20:00 in Lima on 10 May is 01:00 UTC on 11 May: "today" is still the 10th."""
    now = at(2024, 5, 10, 20, 0)
    assert now.astimezone(ZoneInfo("UTC")).date() == date(2024, 5, 11)
    with override_settings(TIME_ZONE=server_zone):
        assert clock.today(now) == date(2024, 5, 10)
        scheduled_at = at(2024, 5, 9, 12)
        due_10 = schedule(cases.a, user, date(2024, 5, 10), now=scheduled_at)
        due_11 = schedule(cases.a, user, date(2024, 5, 11), now=scheduled_at)
        # Deadline 21:00 on the 10th in Lima (02:00 UTC on the 11th): due today, not overdue.
        tonight = file(cases.a, user, at(2024, 5, 9, 21))
        # Deadline 01:00 on the 11th in Lima (06:00 UTC on the 11th): tomorrow, not listed.
        tomorrow = file(cases.a, user, at(2024, 5, 10, 1))

        pending = clock.pending_items(now=now)
        shown = {(item.kind, item.pk): item for item in pending.items}
        assert set(shown) == {("follow_up", due_10.pk), ("complaint", tonight.pk)}
        assert not shown["follow_up", due_10.pk].overdue  # UTC's day would call it overdue
        assert shown["complaint", tonight.pk].due_on == date(2024, 5, 10)
        assert ("follow_up", due_11.pk) not in shown and ("complaint", tomorrow.pk) not in shown
        assert (pending.overdue, pending.due_today) == (0, 2)
        assert clock.pending_count(services=[cast.service_a.pk], now=now) == 2

        # One hour later it is midnight in Lima: the 10th's follow-up is overdue, the 11th's due.
        pending = clock.pending_items(now=at(2024, 5, 11, 0, 0))
        overdue = {(item.kind, item.pk) for item in pending.items if item.overdue}
        assert overdue == {("follow_up", due_10.pk), ("complaint", tonight.pk)}
        assert (pending.overdue, pending.due_today) == (2, 2)


@server_zones
def test_the_rules_count_days_in_lima_too(cases, user, server_zone):
    """At 20:00 in Lima (01:00 UTC the next day) a follow-up can still be due "today"."""
    now = at(2024, 5, 10, 20, 0)
    with override_settings(TIME_ZONE=server_zone):
        follow_up = schedule(cases.a, user, date(2024, 5, 10), now=now)
        assert follow_up.due_on == date(2024, 5, 10)
        with pytest.raises(RuleViolation) as refused:
            schedule(cases.a, user, date(2024, 5, 9), now=now)
        assert fields_of(refused.value) == {"due_on"}
        # A decision at 23:30 in Lima (04:30 UTC the next day) may be notified the same day.
        complaint = file(cases.a, user, at(2024, 5, 10, 12))
        granted = measure(
            complaint,
            user,
            now=at(2024, 5, 11, 8),
            state=State.GRANTED,
            decided_at=at(2024, 5, 10, 23, 30),
            notified_on=date(2024, 5, 10),
        )
        assert granted.notified_on == date(2024, 5, 10)


def test_the_service_zone_is_the_setting(cases, user):
    assert clock.service_zone() == LIMA
    assert clock.start_of_day(date(2024, 5, 10)) == at(2024, 5, 10)
    assert clock.local(datetime(2024, 5, 11, 1, tzinfo=ZoneInfo("UTC"))) == at(2024, 5, 10, 20)
    with override_settings(SERVICE_TIME_ZONE="UTC"):
        assert clock.today(at(2024, 5, 10, 20)) == date(2024, 5, 11)


# 2. Follow-ups ------------------------------------------------------------------------------------


def test_a_follow_up_is_due_on_its_day_and_overdue_from_the_next_lima_day(cases, user):
    follow_up = schedule(cases.a, user, date(2024, 5, 10), now=at(2024, 5, 9, 10))
    pk = follow_up.pk
    assert listed(at(2024, 5, 9, 23, 59, 59)) == []
    assert listed(at(2024, 5, 10, 0, 0)) == [("follow_up", pk, False)]
    assert listed(at(2024, 5, 10, 23, 59, 59)) == [("follow_up", pk, False)]
    assert listed(at(2024, 5, 11, 0, 0)) == [("follow_up", pk, True)]
    (item,) = clock.pending_items(now=at(2024, 5, 11, 0, 0)).items
    assert item.due_at == at(2024, 5, 10) and item.due_on == date(2024, 5, 10)
    assert item.title == str(FollowUp.Kind.HOME_VISIT.label)


def test_done_and_cancelled_follow_ups_are_no_longer_pending(cases, user):
    now = timezone.now()
    today = clock.today(now)
    done = schedule(cases.a, user, today, now=now)
    cancelled = schedule(cases.a, user, today, now=now, kind=FollowUp.Kind.CALL)
    later = schedule(cases.a, user, today + timedelta(days=3), now=now)
    assert {item.pk for item in clock.pending_items(now=now).items} == {done.pk, cancelled.pk}

    done = actions.complete_follow_up(
        follow_up=done, user=user, done_on=clock.today(now), notes="  Fue bien.  ", now=now
    )
    cancelled = actions.cancel_follow_up(
        follow_up=cancelled, user=user, reason="  Cambió de número  ", now=now
    )

    assert clock.pending_items(now=now).items == []
    assert clock.pending_count(services=None, now=now) == 0
    assert clock.open_items_of_case(cases.a) == [later]
    done.refresh_from_db()
    assert (done.done_on, done.closed_at, done.closed_by) == (clock.today(now), now, user)
    assert done.notes == "Fue bien." and done.cancel_reason == ""
    cancelled.refresh_from_db()
    assert cancelled.cancel_reason == "Cambió de número" and cancelled.done_on is None
    assert cancelled.closed_by == user and not cancelled.is_pending


def test_completing_adds_to_the_notes_as_stored(cases, user):
    now = timezone.now()
    follow_up = actions.schedule_follow_up(
        case=cases.a,
        user=user,
        kind=FollowUp.Kind.CALL,
        due_on=clock.today(now),
        notes="Llamar por la tarde",
        now=now,
    )
    stale = FollowUp.objects.get(pk=follow_up.pk)
    FollowUp.objects.filter(pk=follow_up.pk).update(notes="Llamar por la mañana")
    actions.complete_follow_up(
        follow_up=stale, user=user, done_on=clock.today(now), notes="Contestó", now=now
    )
    follow_up.refresh_from_db()
    assert follow_up.notes == "Llamar por la mañana\n\nContestó"


def test_done_on_is_neither_in_the_future_nor_before_scheduling(cases, user):
    now = timezone.now()
    today = clock.today(now)
    follow_up = schedule(cases.a, user, today, now=now)
    for done_on in (today + timedelta(days=1), today - timedelta(days=1), None):
        with pytest.raises(RuleViolation) as refused:
            actions.complete_follow_up(follow_up=follow_up, user=user, done_on=done_on, now=now)
        assert fields_of(refused.value) == {"done_on"}
    follow_up.refresh_from_db()
    assert follow_up.is_pending and follow_up.done_on is None
    assert rules.follow_up_done_problems(today, scheduled_at=follow_up.created_at, now=now) == []


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancelling_needs_a_reason(cases, user, reason):
    now = timezone.now()
    follow_up = schedule(cases.a, user, clock.today(now), now=now)
    with pytest.raises(RuleViolation) as refused:
        actions.cancel_follow_up(follow_up=follow_up, user=user, reason=reason, now=now)
    assert fields_of(refused.value) == {"reason"}
    follow_up.refresh_from_db()
    assert follow_up.is_pending


def test_scheduling_is_for_today_to_a_year_ahead_and_of_a_known_kind(cases, user):
    now = at(2024, 5, 10, 9)
    today = date(2024, 5, 10)
    assert schedule(cases.a, user, today, now=now).due_on == today
    last = today + timedelta(days=rules.MAX_FOLLOW_UP_DAYS)
    assert schedule(cases.a, user, last, now=now).due_on == last
    for due_on in (today - timedelta(days=1), last + timedelta(days=1), None):
        with pytest.raises(RuleViolation) as refused:
            schedule(cases.a, user, due_on, now=now)
        assert fields_of(refused.value) == {"due_on"}
    with pytest.raises(RuleViolation) as refused:
        schedule(cases.a, user, today, now=now, kind="tarot")
    assert fields_of(refused.value) == {"kind"}
    assert FollowUp.objects.count() == 2


def test_a_follow_up_is_settled_once(cases, user):
    now = timezone.now()
    today = clock.today(now)
    done = schedule(cases.a, user, today, now=now)
    actions.complete_follow_up(follow_up=done, user=user, done_on=today, now=now)
    with pytest.raises(AlreadySettledError):
        actions.complete_follow_up(follow_up=done, user=user, done_on=today, now=now)
    with pytest.raises(AlreadySettledError):
        actions.cancel_follow_up(follow_up=done, user=user, reason="Otra vez", now=now)
    cancelled = schedule(cases.a, user, today, now=now)
    actions.cancel_follow_up(follow_up=cancelled, user=user, reason="No hace falta", now=now)
    with pytest.raises(AlreadySettledError):
        actions.complete_follow_up(follow_up=cancelled, user=user, done_on=today, now=now)
    cancelled.refresh_from_db()
    assert cancelled.done_on is None and cancelled.cancel_reason == "No hace falta"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FOLLOW_UP).count() == 4


# 3. Complaints ------------------------------------------------------------------------------------


def test_filing_a_complaint_marks_the_case_and_moves_its_version_on(cases, user):
    assert cases.a.complaint_filed is None and cases.a.version == 1
    complaint = file(
        cases.a,
        user,
        at(2024, 5, 10, 9),
        place=Complaint.Place.PROSECUTOR,
        filed_by=Complaint.FiledBy.SERVICE,
        place_name="  Fiscalía de Urcos ",
        reference=" 123-2024 ",
        now=at(2024, 5, 10, 10),
    )
    cases.a.refresh_from_db()
    assert cases.a.complaint_filed is True and cases.a.version == 2
    assert (complaint.place_name, complaint.reference) == ("Fiscalía de Urcos", "123-2024")
    assert complaint.service_id == cases.a.service_id and complaint.created_by == user
    assert complaint.is_pending
    file(cases.a, user, at(2024, 5, 11, 9))
    cases.a.refresh_from_db()
    assert cases.a.version == 3
    entry = AuditEntry.objects.filter(case=cases.a, action=AuditEntry.Action.COMPLAINT).first()
    assert entry.changes["complaint"] == Complaint.objects.latest("filed_at").pk


@pytest.mark.parametrize(
    "values, field",
    [
        ({"filed_at": None}, "filed_at"),
        ({"filed_at": at(2024, 5, 10, 10, 0, 1)}, "filed_at"),  # after `now`
        ({"place": "iglesia"}, "place"),
        ({"filed_by": ""}, "filed_by"),
        ({"place_name": "=HYPERLINK(1)"}, "place_name"),
        ({"reference": "12\x003"}, "reference"),
    ],
)
def test_a_complaint_is_refused_with_the_field_named(cases, user, values, field):
    data = {
        "filed_at": at(2024, 5, 10, 9),
        "place": Complaint.Place.POLICE,
        "filed_by": Complaint.FiledBy.VICTIM,
        **values,
    }
    with pytest.raises(RuleViolation) as refused:
        actions.file_complaint(case=cases.a, user=user, now=at(2024, 5, 10, 10), **data)
    assert fields_of(refused.value) == {field}
    assert not Complaint.objects.exists()
    cases.a.refresh_from_db()
    assert cases.a.version == 1 and cases.a.complaint_filed is None


def test_setting_a_complaint_aside_settles_it_with_the_reason(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 9))
    with pytest.raises(RuleViolation) as refused:
        actions.set_complaint_aside(complaint=complaint, user=user, reason=" ")
    assert fields_of(refused.value) == {"reason"}
    assert Complaint.objects.get(pk=complaint.pk).is_pending

    now = at(2024, 5, 12, 8)
    actions.set_complaint_aside(complaint=complaint, user=user, reason=" Se desistió ", now=now)
    complaint.refresh_from_db()
    assert complaint.settled_at == now and complaint.set_aside_reason == "Se desistió"
    assert listed(at(2024, 5, 13)) == []
    assert clock.open_items_of_case(cases.a) == []
    with pytest.raises(AlreadySettledError):
        actions.set_complaint_aside(complaint=complaint, user=user, reason="Otra vez")


@pytest.mark.parametrize("state", [State.GRANTED, State.DENIED])
def test_a_decision_settles_the_complaint_at_the_earliest_decision(cases, user, state):
    complaint = file(cases.a, user, at(2024, 5, 10, 9))
    now = at(2024, 5, 20)
    first = measure(complaint, user, now=now, state=state, decided_at=at(2024, 5, 11, 15))
    complaint.refresh_from_db()
    assert complaint.settled_at == at(2024, 5, 11, 15) and not complaint.is_pending
    # A later decision leaves it; an earlier one (recorded late) moves it back.
    measure(complaint, user, now=now, state=State.GRANTED, decided_at=at(2024, 5, 12, 15))
    complaint.refresh_from_db()
    assert complaint.settled_at == at(2024, 5, 11, 15)
    measure(complaint, user, now=now, state=State.DENIED, decided_at=at(2024, 5, 10, 20))
    complaint.refresh_from_db()
    assert complaint.settled_at == at(2024, 5, 10, 20)
    # Correcting the earliest decision to a later time moves the settling with it.
    earliest = ProtectionMeasure.objects.get(decided_at=at(2024, 5, 10, 20))
    actions.update_measure(
        measure=earliest, user=user, data={"decided_at": at(2024, 5, 13, 9)}, now=now
    )
    complaint.refresh_from_db()
    assert complaint.settled_at == first.decided_at


def test_a_requested_measure_does_not_settle_the_complaint(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 9))
    requested = measure(complaint, user, now=at(2024, 5, 10, 10), state=State.REQUESTED)
    complaint.refresh_from_db()
    cases.a.refresh_from_db()
    assert complaint.is_pending and cases.a.protective_measures is None
    assert listed(at(2024, 5, 11, 9, 0, 1)) == [("complaint", complaint.pk, True)]

    actions.update_measure(
        measure=requested,
        user=user,
        data={"state": State.GRANTED, "decided_at": at(2024, 5, 11, 12)},
        now=at(2024, 5, 12),
    )
    complaint.refresh_from_db()
    assert complaint.settled_at == at(2024, 5, 11, 12)
    assert listed(at(2024, 5, 12)) == []


def test_a_granted_measure_means_protective_measures_a_denied_one_does_not(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 9))
    cases.a.refresh_from_db()
    version = cases.a.version
    measure(
        complaint, user, now=at(2024, 5, 11), state=State.DENIED, decided_at=at(2024, 5, 10, 20)
    )
    cases.a.refresh_from_db()
    assert cases.a.protective_measures is None and cases.a.version == version + 1
    measure(complaint, user, now=at(2024, 5, 12), state=State.GRANTED, decided_at=at(2024, 5, 11))
    cases.a.refresh_from_db()
    assert cases.a.protective_measures is True and cases.a.version == version + 2


def test_the_audit_records_each_step_without_names_or_documents(cases, user):
    name, document = "Rosa Quispe Huamán", "41234567"
    assert (cases.a.victim_name, cases.a.victim_document_number) == (name, document)
    complaint = file(
        cases.a, user, at(2024, 5, 10, 9), place_name="Comisaría de Urcos", reference=document
    )
    other = file(cases.a, user, at(2024, 5, 10, 10))
    granted = measure(
        complaint,
        user,
        now=at(2024, 5, 12),
        state=State.GRANTED,
        decided_at=at(2024, 5, 10, 15),
        notes=f"{name} pidió que no se acerque",
    )
    actions.update_measure(
        measure=granted,
        user=user,
        data={"notes": f"{name}, DNI {document}", "state": State.IN_FORCE},
        now=at(2024, 5, 12),
    )
    actions.set_complaint_aside(complaint=other, user=user, reason=f"{name} ya denunció antes")
    now = timezone.now()
    follow_up = actions.schedule_follow_up(
        case=cases.a,
        user=user,
        kind=FollowUp.Kind.CALL,
        due_on=clock.today(now),
        notes=f"Llamar a {name}",
        now=now,
    )
    actions.complete_follow_up(
        follow_up=follow_up, user=user, done_on=clock.today(now), notes=f"{name} contestó"
    )
    cancelled = schedule(cases.a, user, clock.today(now), now=now)
    actions.cancel_follow_up(follow_up=cancelled, user=user, reason=f"{name} se mudó")

    entries = AuditEntry.objects.filter(case=cases.a).order_by("id")
    assert [entry.action for entry in entries] == [
        "complaint",
        "complaint",
        "measure",
        "measure",
        "complaint",
        "follow_up",
        "follow_up",
        "follow_up",
        "follow_up",
    ]
    assert all(entry.user == user for entry in entries)
    written = json.dumps([entry.changes for entry in entries], ensure_ascii=False)
    for secret in ("Rosa", "Quispe", document):
        assert secret not in written
    update = entries[3].changes
    assert update["notes"] == actions.CHANGED
    assert update["state"] == [State.GRANTED, State.IN_FORCE]
    assert entries[4].changes == {"complaint": other.pk, "set_aside": True}


# 4. Measures: rules, transitions, constraints -----------------------------------------------------

FILED = at(2024, 5, 10, 9)
DECIDED = at(2024, 5, 10, 23, 30)  # 04:30 UTC on the 11th
NOTIFIED = date(2024, 5, 12)
ENDED = date(2024, 6, 1)
NOW = at(2024, 7, 1, 12)

# Values consistent with each state, so that a refused move is refused for its state alone.
STATE_VALUES = {
    "requested": {"decided_at": None, "notified_on": None, "ended_on": None},
    "granted": {"decided_at": DECIDED, "notified_on": NOTIFIED, "ended_on": None},
    "in_force": {"decided_at": DECIDED, "notified_on": NOTIFIED, "ended_on": None},
    "denied": {"decided_at": DECIDED, "notified_on": None, "ended_on": None},
    "lifted": {"decided_at": DECIDED, "notified_on": NOTIFIED, "ended_on": ENDED},
    "expired": {"decided_at": DECIDED, "notified_on": NOTIFIED, "ended_on": ENDED},
}


def test_the_transitions_cover_every_state_of_the_model():
    assert set(rules.MEASURE_TRANSITIONS) == set(State.values) == set(STATE_VALUES)
    assert all(to <= set(State.values) for to in rules.MEASURE_TRANSITIONS.values())
    assert set(State.values) - {"requested"} == rules.DECIDED_STATES
    # A decided measure is never "requested" again.
    assert all("requested" not in rules.MEASURE_TRANSITIONS[s] for s in rules.DECIDED_STATES)


@pytest.mark.parametrize("new", sorted(STATE_VALUES))
@pytest.mark.parametrize("old", sorted(STATE_VALUES))
def test_every_transition_is_allowed_or_refused_as_the_rules_say(cases, user, old, new):
    complaint = file(cases.a, user, FILED)
    current = measure(complaint, user, now=NOW, state=old, **STATE_VALUES[old])
    assert current.state == old
    data = {"state": new, **STATE_VALUES[new]}
    if new in rules.MEASURE_TRANSITIONS[old]:
        updated = actions.update_measure(measure=current, user=user, data=data, now=NOW)
        assert updated.state == new
        current.refresh_from_db()
        assert (current.state, current.decided_at, current.ended_on) == (
            new,
            STATE_VALUES[new]["decided_at"],
            STATE_VALUES[new]["ended_on"],
        )
    else:
        with pytest.raises(RuleViolation) as refused:
            actions.update_measure(measure=current, user=user, data=data, now=NOW)
        assert fields_of(refused.value) == {"state"}
        current.refresh_from_db()
        assert current.state == old


def test_an_update_without_changes_writes_nothing(cases, user):
    complaint = file(cases.a, user, FILED)
    current = measure(complaint, user, now=NOW, state=State.GRANTED, decided_at=DECIDED)
    cases.a.refresh_from_db()
    version, entries = cases.a.version, AuditEntry.objects.count()
    actions.update_measure(measure=current, user=user, data={"court": ""}, now=NOW)
    cases.a.refresh_from_db()
    assert cases.a.version == version and AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    "values, field",
    [
        # Requested: no decision, notification or end yet.
        ({"state": "requested", "decided_at": DECIDED}, "decided_at"),
        ({"state": "requested", "notified_on": NOTIFIED}, "notified_on"),
        ({"state": "requested", "ended_on": ENDED}, "ended_on"),
        # Decided: when, not before the complaint, not in the future.
        ({"state": "granted"}, "decided_at"),
        ({"state": "denied", "decided_at": FILED - timedelta(seconds=1)}, "decided_at"),
        ({"state": "granted", "decided_at": NOW + timedelta(seconds=1)}, "decided_at"),
        # Notified: only granted, on or after the decision's day in Lima, not in the future.
        ({"state": "denied", "decided_at": DECIDED, "notified_on": NOTIFIED}, "notified_on"),
        (
            {"state": "granted", "decided_at": DECIDED, "notified_on": date(2024, 5, 9)},
            "notified_on",
        ),
        (
            {"state": "granted", "decided_at": DECIDED, "notified_on": date(2024, 7, 2)},
            "notified_on",
        ),
        # Ended: only lifted or expired, with the date, after the decision, not in the future.
        ({"state": "granted", "decided_at": DECIDED, "ended_on": ENDED}, "ended_on"),
        ({"state": "denied", "decided_at": DECIDED, "ended_on": ENDED}, "ended_on"),
        ({"state": "lifted", "decided_at": DECIDED}, "ended_on"),
        ({"state": "expired", "decided_at": DECIDED, "ended_on": date(2024, 5, 9)}, "ended_on"),
        ({"state": "lifted", "decided_at": DECIDED, "ended_on": date(2024, 7, 2)}, "ended_on"),
        # The lists: the law's types, a known state and executor; storable text.
        ({"measure_type": "DESTIERRO"}, "measure_type"),
        ({"measure_type": None}, "measure_type"),
        ({"state": "archived"}, "state"),
        ({"executed_by": "army"}, "executed_by"),
        ({"court": "=1+1"}, "court"),
        ({"notes": "\ud800"}, "notes"),
    ],
)
def test_a_measure_is_refused_with_the_field_named(cases, user, values, field):
    complaint = file(cases.a, user, FILED)
    data = {"measure_type": "PROHIBICION_COMUNICACION", **values}
    with pytest.raises(RuleViolation) as refused:
        actions.record_measure(complaint=complaint, user=user, data=data, now=NOW)
    assert fields_of(refused.value) == {field}
    assert not ProtectionMeasure.objects.exists()
    complaint.refresh_from_db()
    assert complaint.is_pending


def test_dates_on_the_edges_are_accepted(cases, user):
    complaint = file(cases.a, user, FILED)
    # Decided the moment it was filed, notified the same Lima day, ended that day.
    lifted = measure(
        complaint,
        user,
        now=NOW,
        state=State.LIFTED,
        decided_at=FILED,
        notified_on=date(2024, 5, 10),
        ended_on=date(2024, 5, 10),
        executed_by=ProtectionMeasure.Executor.POLICE,
    )
    assert lifted.was_granted and lifted.ended_on == date(2024, 5, 10)
    # Decided at `now` itself, notified and ended today.
    today = NOW.date()
    expired = measure(
        complaint,
        user,
        now=NOW,
        state=State.EXPIRED,
        decided_at=NOW,
        notified_on=today,
        ended_on=today,
    )
    assert expired.decided_at == NOW


def _complaint_row(case, **values) -> Complaint:
    values = {
        "case": case,
        "service_id": case.service_id,
        "filed_at": FILED,
        "deadline": FILED + timedelta(hours=24),
        "place": "police",
        "filed_by": "victim",
        **values,
    }
    return Complaint(**values)


def _measure_row(complaint, **values) -> ProtectionMeasure:
    values = {
        "case": complaint.case,
        "service_id": complaint.service_id,
        "complaint": complaint,
        "measure_type": "RETIRO_AGRESOR",
        "state": "granted",
        "decided_at": DECIDED,
        **values,
    }
    return ProtectionMeasure(**values)


def _follow_up_row(case, **values) -> FollowUp:
    values = {
        "case": case,
        "service_id": case.service_id,
        "kind": "call",
        "due_on": date(2024, 5, 10),
        **values,
    }
    return FollowUp(**values)


BAD_ROWS = {
    "complaint_deadline_after_filing": [
        lambda case, complaint: _complaint_row(case, deadline=FILED),
        lambda case, complaint: _complaint_row(case, deadline=FILED - timedelta(hours=1)),
    ],
    "complaint_set_aside_is_settled": [
        lambda case, complaint: _complaint_row(case, set_aside_reason="Se desistió"),
    ],
    "measure_type_valid": [
        lambda case, complaint: _measure_row(complaint, measure_type="DESTIERRO"),
    ],
    "measure_decided_unless_requested": [
        lambda case, complaint: _measure_row(complaint, state="requested"),
        lambda case, complaint: _measure_row(complaint, state="denied", decided_at=None),
    ],
    "measure_notified_only_granted": [
        lambda case, complaint: _measure_row(complaint, state="denied", notified_on=NOTIFIED),
    ],
    "measure_ended_when_lifted": [
        lambda case, complaint: _measure_row(complaint, state="lifted"),
        lambda case, complaint: _measure_row(complaint, state="in_force", ended_on=ENDED),
    ],
    "follow_up_pending_done_or_cancelled": [
        lambda case, complaint: _follow_up_row(case, done_on=NOTIFIED),
        lambda case, complaint: _follow_up_row(case, cancel_reason="No"),
        lambda case, complaint: _follow_up_row(case, closed_at=NOW),
        lambda case, complaint: _follow_up_row(
            case, closed_at=NOW, done_on=NOTIFIED, cancel_reason="No"
        ),
    ],
}


def test_every_constraint_of_the_clock_has_a_bad_row_below():
    names = {
        constraint.name
        for model in (Complaint, ProtectionMeasure, FollowUp)
        for constraint in model._meta.constraints
    }
    assert names == set(BAD_ROWS)


@pytest.mark.parametrize(
    "constraint, make",
    [(name, make) for name, makes in BAD_ROWS.items() for make in makes],
)
def test_the_database_refuses_a_bad_row_written_directly(cases, user, constraint, make):
    complaint = _complaint_row(cases.a)
    complaint.save()
    # The good rows next to the bad ones are stored, so each refusal is the constraint's.
    _measure_row(complaint).save()
    _follow_up_row(cases.a).save()
    row = make(cases.a, complaint)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        row.save()
    assert constraint in str(refused.value)


# 5. Closing ---------------------------------------------------------------------------------------


def test_closing_is_refused_with_exactly_the_pending_items_until_each_is_settled(cases, user):
    now = timezone.now()
    today = clock.today(now)
    waiting = file(cases.a, user, now - timedelta(hours=30), now=now)  # overdue
    requested = file(cases.a, user, now - timedelta(hours=1), now=now)  # not yet due
    measure(requested, user, now=now, state=State.REQUESTED)
    granted = file(cases.a, user, now - timedelta(hours=5), now=now)
    measure(granted, user, now=now, state=State.GRANTED, decided_at=now - timedelta(hours=2))
    next_visit = schedule(cases.a, user, today + timedelta(days=20), now=now)
    call = schedule(cases.a, user, today, now=now, kind=FollowUp.Kind.CALL)
    done = schedule(cases.a, user, today, now=now)
    actions.complete_follow_up(follow_up=done, user=user, done_on=today, now=now)
    file(cases.b, user, now - timedelta(hours=30), now=now)  # another case's: not in the way

    def close():
        return actions.close_case(
            case=cases.a, user=user, closed_on=today, reason=Case.ClosureReason.COMPLETED
        )

    with pytest.raises(PendingItemsError) as refused:
        close()
    assert [(type(item), item.pk) for item in refused.value.items] == [
        (Complaint, waiting.pk),
        (Complaint, requested.pk),
        (FollowUp, call.pk),
        (FollowUp, next_visit.pk),
    ]
    cases.a.refresh_from_db()
    assert not cases.a.is_closed and cases.a.closed_on is None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.CLOSE).exists()

    actions.set_complaint_aside(complaint=waiting, user=user, reason="Duplicada")
    actions.update_measure(
        measure=requested.measures.get(),
        user=user,
        data={"state": State.DENIED, "decided_at": now},
        now=now,
    )
    actions.complete_follow_up(follow_up=call, user=user, done_on=today, now=now)
    with pytest.raises(PendingItemsError) as refused:
        close()
    assert [(type(item), item.pk) for item in refused.value.items] == [(FollowUp, next_visit.pk)]
    actions.cancel_follow_up(follow_up=next_visit, user=user, reason="Cierre del caso")

    closed = close()
    assert closed.is_closed and closed.closed_on == today
    assert AuditEntry.objects.filter(case=cases.a, action=AuditEntry.Action.CLOSE).exists()


def test_writes_on_a_closed_case_are_refused(cases, user):
    now = timezone.now()
    today = clock.today(now)
    complaint = file(cases.a, user, now - timedelta(hours=3), now=now)
    granted = measure(complaint, user, now=now, state=State.GRANTED, decided_at=now)
    follow_up = schedule(cases.a, user, today, now=now)
    actions.complete_follow_up(follow_up=follow_up, user=user, done_on=today, now=now)
    actions.close_case(
        case=cases.a, user=user, closed_on=today, reason=Case.ClosureReason.COMPLETED
    )
    cases.a.refresh_from_db()
    version, entries = cases.a.version, AuditEntry.objects.count()

    refused_writes = [
        lambda: file(cases.a, user, now - timedelta(hours=1), now=now),
        lambda: actions.set_complaint_aside(complaint=complaint, user=user, reason="x"),
        lambda: measure(complaint, user, now=now, state=State.REQUESTED),
        lambda: actions.update_measure(
            measure=granted, user=user, data={"state": State.IN_FORCE}, now=now
        ),
        lambda: schedule(cases.a, user, today, now=now),
        # Closed first, settled second: the answer is that the case is closed.
        lambda: actions.complete_follow_up(follow_up=follow_up, user=user, done_on=today),
        lambda: actions.cancel_follow_up(follow_up=follow_up, user=user, reason="x"),
    ]
    for write in refused_writes:
        with pytest.raises(CaseClosedError):
            write()
    cases.a.refresh_from_db()
    assert cases.a.version == version and AuditEntry.objects.count() == entries
    assert Complaint.objects.count() == 1 and FollowUp.objects.count() == 1
    assert ProtectionMeasure.objects.get().state == State.GRANTED

    actions.reopen_case(case=cases.a, user=user)
    assert file(cases.a, user, now - timedelta(hours=1), now=now).is_pending


# 6. The pending list ------------------------------------------------------------------------------


def test_the_list_is_scoped_by_services(cast, cases, user):
    now = at(2024, 5, 12, 12)
    in_a = file(cases.a, user, at(2024, 5, 10, 9))
    in_b = file(cases.b, user, at(2024, 5, 10, 10))
    follow_up_b = schedule(cases.b, user, date(2024, 5, 12), now=at(2024, 5, 11))
    everything = {("complaint", in_a.pk), ("complaint", in_b.pk), ("follow_up", follow_up_b.pk)}

    def shown(services):
        return {
            (item.kind, item.pk) for item in clock.pending_items(services=services, now=now).items
        }

    assert shown(None) == everything
    assert shown([cast.service_a.pk]) == {("complaint", in_a.pk)}
    assert shown(CareService.objects.filter(pk=cast.service_b.pk)) == everything - {
        ("complaint", in_a.pk)
    }
    assert shown([cast.service_a.pk, cast.service_b.pk]) == everything
    assert shown([]) == set()
    assert clock.pending_count(services=None, now=now) == 3
    assert clock.pending_count(services=[cast.service_a.pk], now=now) == 1
    assert (
        clock.pending_count(services=CareService.objects.filter(pk=cast.service_b.pk), now=now) == 2
    )
    assert clock.pending_count(services=[], now=now) == 0
    of_b = clock.pending_items(services=[cast.service_b.pk], now=now).items
    assert [(item.service_code, item.service_name) for item in of_b] == [
        ("CEM-210101", "CEM Puno")
    ] * 2


def test_the_list_is_oldest_first_across_both_kinds(cases, user):
    now = at(2024, 5, 10, 12)
    scheduled = at(2024, 5, 7)
    due_8 = schedule(cases.a, user, date(2024, 5, 8), now=scheduled)
    deadline_8_10h = file(cases.b, user, at(2024, 5, 7, 10))
    due_9 = schedule(cases.b, user, date(2024, 5, 9), now=scheduled)
    deadline_10_9h = file(cases.a, user, at(2024, 5, 9, 9))
    due_10 = schedule(cases.a, user, date(2024, 5, 10), now=scheduled)
    deadline_10_23h = file(cases.a, user, at(2024, 5, 9, 23))
    file(cases.a, user, at(2024, 5, 10, 1))  # tomorrow's: not shown
    assert listed(now) == [
        ("follow_up", due_8.pk, True),
        ("complaint", deadline_8_10h.pk, True),
        ("follow_up", due_9.pk, True),
        ("follow_up", due_10.pk, False),  # due from midnight: before the morning's deadline
        ("complaint", deadline_10_9h.pk, True),
        ("complaint", deadline_10_23h.pk, False),
    ]
    pending = clock.pending_items(now=now)
    assert (pending.overdue, pending.due_today, pending.total) == (4, 2, 6)
    assert not pending.truncated


def test_the_counts_stay_exact_when_the_list_is_cut(cast, user):
    now = at(2024, 5, 20, 12)
    cases = [CaseFactory(service=cast.service_a) for _ in range(4)]
    for index, case in enumerate(cases):
        file(case, user, at(2024, 5, 10 + index, 9))  # deadlines 11th..14th: overdue
        file(case, user, at(2024, 5, 19, 13 + index))  # deadlines 20th, after 12:00: due today
        schedule(case, user, date(2024, 5, 12 + index), now=at(2024, 5, 1))  # overdue
    complete = clock.pending_items(now=now)
    assert (complete.overdue, complete.due_today, complete.total) == (8, 4, 12)
    assert len(complete.items) == 12

    cut = clock.pending_items(now=now, limit=5)
    assert (cut.overdue, cut.due_today, cut.total) == (8, 4, 12)
    assert cut.truncated and cut.items == complete.items[:5]
    assert clock.pending_count(services=[cast.service_a.pk], now=now) == 12


def test_the_list_reads_a_constant_number_of_queries(cast, user):
    """Four queries (two reads, two counts) for 1 item or 60 (of which the list shows the
    oldest `PENDING_LIMIT`), each item's case and service read with it; the badge's count is
    one query."""
    now = at(2024, 5, 20, 12)
    scope = CareService.objects.filter(pk=cast.service_a.pk)

    def add_case():
        case = CaseFactory(service=cast.service_a)
        file(case, user, at(2024, 5, 10, 9))
        schedule(case, user, date(2024, 5, 15), now=at(2024, 5, 1))

    def read():
        with CaptureQueriesContext(connection) as pending_queries:
            pending = clock.pending_items(services=scope, now=now)
            shown = [
                (item.case_code, item.service_code, item.url, item.title) for item in pending.items
            ]
        with CaptureQueriesContext(connection) as count_queries:
            count = clock.pending_count(services=scope, now=now)
        return len(shown), count, len(pending_queries), len(count_queries)

    add_case()
    one = read()
    for _ in range(29):
        add_case()
    thirty = read()
    assert one[:2] == (2, 2) and thirty[:2] == (min(60, clock.PENDING_LIMIT), 60)
    assert one[2:] == thirty[2:] == (4, 1)


def test_an_item_is_keyed_and_linked_without_personal_data(cases, user):
    complaint = file(cases.a, user, at(2024, 5, 10, 23, 30))
    follow_up = schedule(cases.a, user, date(2024, 5, 11), now=at(2024, 5, 10))
    (complaint_item,) = [
        i for i in clock.pending_items(now=at(2024, 5, 11, 12)).items if i.kind == "complaint"
    ]
    assert complaint_item.key == f"complaint:{complaint.pk}:due"
    case_url = reverse("case_detail", kwargs={"code": cases.a.code})
    assert complaint_item.url == f"{case_url}#complaint-{complaint.pk}"
    assert complaint_item.case_code == cases.a.code
    assert "10/05/2024" in complaint_item.title and "23:30" in complaint_item.title

    items = {i.kind: i for i in clock.pending_items(now=at(2024, 5, 12, 0, 0)).items}
    assert items["complaint"].key == f"complaint:{complaint.pk}:overdue"
    assert items["follow_up"].key == f"follow_up:{follow_up.pk}:overdue"
    assert items["follow_up"].url == f"{case_url}#follow_up-{follow_up.pk}"
    for item in items.values():
        shown = f"{item.key} {item.url} {item.title}"
        assert "Rosa" not in shown and "41234567" not in shown


def test_due_between_announces_each_item_once_in_the_span_where_it_falls_due(cast, cases, user):
    """A notifier asking hour by hour hears of each item once, in the hour it falls due: a
    complaint at its deadline, a follow-up at the start of its day (Lima's midnight)."""
    at_2330 = file(cases.a, user, at(2024, 5, 10, 23, 30))  # due at 23:30 on the 11th
    at_0000 = file(cases.b, user, at(2024, 5, 11, 0, 0))  # due at midnight on the 12th
    settled = file(cases.a, user, at(2024, 5, 10, 8))
    actions.set_complaint_aside(complaint=settled, user=user, reason="Duplicada")
    on_11 = schedule(cases.a, user, date(2024, 5, 11), now=at(2024, 5, 10))
    on_12 = schedule(cases.b, user, date(2024, 5, 12), now=at(2024, 5, 10))

    heard: dict[str, list[datetime]] = {}
    start = at(2024, 5, 10, 0, 0)
    with override_settings(TIME_ZONE="UTC"):
        for hour in range(24 * 4):
            span = (start + timedelta(hours=hour), start + timedelta(hours=hour + 1))
            for item in clock.due_between(*span):
                assert span[0] <= item.due_at < span[1] and not item.overdue
                heard.setdefault(item.key, []).append(span[0])
    assert heard == {
        f"complaint:{at_2330.pk}:due": [at(2024, 5, 11, 23)],
        f"complaint:{at_0000.pk}:due": [at(2024, 5, 12, 0)],
        f"follow_up:{on_11.pk}:due": [at(2024, 5, 11, 0)],
        f"follow_up:{on_12.pk}:due": [at(2024, 5, 12, 0)],
    }
    # A whole day at once, and one service's share of it.
    day = list(clock.due_between(at(2024, 5, 12), at(2024, 5, 13)))
    assert [(item.kind, item.pk) for item in day] == [
        ("complaint", at_0000.pk),
        ("follow_up", on_12.pk),
    ]
    only_a = clock.due_between(at(2024, 5, 10), at(2024, 5, 13), services=[cast.service_a.pk])
    assert {(item.kind, item.pk) for item in only_a} == {
        ("complaint", at_2330.pk),
        ("follow_up", on_11.pk),
    }


def test_pending_complaints_and_follow_ups_are_read_as_defined(cases, user):
    now = timezone.now()
    open_complaint = file(cases.a, user, now - timedelta(hours=2), now=now)
    aside = file(cases.a, user, now - timedelta(hours=2), now=now)
    actions.set_complaint_aside(complaint=aside, user=user, reason="Duplicada")
    open_follow_up = schedule(cases.a, user, clock.today(now), now=now)
    cancelled = schedule(cases.a, user, clock.today(now), now=now)
    actions.cancel_follow_up(follow_up=cancelled, user=user, reason="No hace falta")
    assert list(clock.pending_complaints()) == [open_complaint]
    assert list(clock.pending_follow_ups()) == [open_follow_up]
