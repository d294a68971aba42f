"""The legal clock: each complaint's deadline for protection measures, and what is pending.

One home for what "pending", "overdue" and "due today" mean; every list, count, refusal and
report reads them from here:

- A complaint is *pending* from when it is recorded until a measure is decided for it (granted
  or denied) or the caseworker sets it aside with a reason (`Complaint.settled_at`). Its
  *deadline* is the moment it was filed plus `PROTECTION_MEASURE_DEADLINE_HOURS` (Ley 30364,
  art. 16, as amended by Ley 31715: 24 hours), fixed when it is recorded. A pending complaint is
  *overdue* once its deadline has passed (a measure decided at exactly the deadline is on time);
  it is *due today* when its deadline falls later today.
- A follow-up is *pending* until it is marked done or cancelled with a reason. It is *overdue*
  from the day after its due date, *due today* on that date.

"Today" and "the day" are those of `SERVICE_TIME_ZONE` (America/Lima), whatever the server's
zone. Nothing here sends a message: a notifier added later asks `pending_items` (or
`due_between`) for what to announce, and `PendingItem.key` names each item uniquely so that the
same item is never announced twice for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Complaint, FollowUp

# The most items a pending list shows at once (the oldest first); the counts are exact.
PENDING_LIMIT = 50


def service_zone() -> ZoneInfo:
    """The services' zone, read from the setting each time (`ZoneInfo` keeps one instance per
    key), so that a test or a deployment that changes the setting is obeyed at once."""
    return ZoneInfo(settings.SERVICE_TIME_ZONE)


def deadline_hours() -> int:
    return int(settings.PROTECTION_MEASURE_DEADLINE_HOURS)


def deadline_for(filed_at: datetime) -> datetime:
    """The moment by which measures must be granted for a complaint filed at `filed_at`."""
    return filed_at + timedelta(hours=deadline_hours())


def local(moment: datetime) -> datetime:
    """`moment` on the services' clock (America/Lima)."""
    return moment.astimezone(service_zone())


def today(now: datetime | None = None) -> date:
    """The services' date at `now` (the present by default)."""
    return local(now or timezone.now()).date()


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` on the services' clock, as an aware moment."""
    return datetime.combine(day, time.min, tzinfo=service_zone())


def first_day_from(moment: datetime) -> date:
    """The first services' day that starts at or after `moment` (its own day at midnight)."""
    day = today(moment)
    return day if start_of_day(day) == moment else day + timedelta(days=1)


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def within_deadline(complaint_deadline: datetime, decided_at: datetime) -> bool:
    """A measure decided at or before the deadline is on time (exactly 24 hours is on time)."""
    return decided_at <= complaint_deadline


# What is pending ------------------------------------------------------------------------------


def complaint_overdue(complaint: Complaint, now: datetime) -> bool:
    """Pending, with its deadline passed (at exactly the deadline it is not yet overdue)."""
    return complaint.settled_at is None and complaint.deadline < now


def complaint_due_today(complaint: Complaint, now: datetime) -> bool:
    """Pending, its deadline still ahead but before the end of the services' day."""
    return (
        complaint.settled_at is None
        and not complaint_overdue(complaint, now)
        and local(complaint.deadline).date() == today(now)
    )


def follow_up_overdue(follow_up: FollowUp, now: datetime) -> bool:
    """Pending, from the services' day after its due date."""
    return follow_up.closed_at is None and follow_up.due_on < today(now)


def follow_up_due_today(follow_up: FollowUp, now: datetime) -> bool:
    return follow_up.closed_at is None and follow_up.due_on == today(now)


def pending_complaints() -> QuerySet[Complaint]:
    return Complaint.objects.filter(settled_at__isnull=True)


def pending_follow_ups() -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(closed_at__isnull=True)


def _in_services(queryset: QuerySet, services) -> QuerySet:
    """Limit to `services`: None for all of them, else ids or a queryset of services."""
    if services is None:
        return queryset
    return queryset.filter(service__in=services)


@dataclass(frozen=True)
class PendingItem:
    """One thing a caseworker must do or watch, as the lists and a future notifier see it."""

    kind: str  # "complaint" or "follow_up"
    pk: int
    case_code: str
    service_code: str
    service_name: str
    title: str
    due_at: datetime  # the complaint's deadline; the start of a follow-up's due day
    due_on: date  # the services' date it falls due
    overdue: bool

    @property
    def key(self) -> str:
        """A stable name for the item in its current state (for deduplicated notifications)."""
        return f"{self.kind}:{self.pk}:{'overdue' if self.overdue else 'due'}"

    @property
    def url(self) -> str:
        return reverse("case_detail", kwargs={"code": self.case_code}) + f"#{self.kind}-{self.pk}"


@dataclass(frozen=True)
class PendingList:
    items: list[PendingItem]
    overdue: int
    due_today: int

    @property
    def total(self) -> int:
        return self.overdue + self.due_today

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)


def _complaint_item(complaint: Complaint, now: datetime) -> PendingItem:
    filed = local(complaint.filed_at)
    return PendingItem(
        kind="complaint",
        pk=complaint.pk,
        case_code=complaint.case.code,
        service_code=complaint.service.code,
        service_name=complaint.service.name,
        title=_("Protection measures for the complaint of %(date)s %(time)s")
        % {"date": filed.strftime("%d/%m/%Y"), "time": filed.strftime("%H:%M")},
        due_at=complaint.deadline,
        due_on=local(complaint.deadline).date(),
        overdue=complaint_overdue(complaint, now),
    )


def _follow_up_item(follow_up: FollowUp, now: datetime) -> PendingItem:
    return PendingItem(
        kind="follow_up",
        pk=follow_up.pk,
        case_code=follow_up.case.code,
        service_code=follow_up.service.code,
        service_name=follow_up.service.name,
        title=follow_up.get_kind_display(),
        due_at=start_of_day(follow_up.due_on),
        due_on=follow_up.due_on,
        overdue=follow_up_overdue(follow_up, now),
    )


def _due_complaints(services, now: datetime) -> QuerySet[Complaint]:
    """Pending complaints whose deadline has passed or falls before the end of today."""
    end_of_today = start_of_day(today(now) + timedelta(days=1))
    return _in_services(pending_complaints(), services).filter(deadline__lt=end_of_today)


def _due_follow_ups(services, now: datetime) -> QuerySet[FollowUp]:
    return _in_services(pending_follow_ups(), services).filter(due_on__lte=today(now))


# What a list item reads of its record, case and service: nothing more (at a million cases the
# rest of a case row costs more than the item itself).
_COMPLAINT_COLUMNS = ("id", "filed_at", "deadline", "settled_at", "case", "service")
_FOLLOW_UP_COLUMNS = ("id", "kind", "due_on", "closed_at", "case", "service")
_RELATED_COLUMNS = ("case__code", "service__code", "service__name")


def pending_items(
    *, services=None, now: datetime | None = None, limit: int = PENDING_LIMIT
) -> PendingList:
    """What is overdue or due today in `services` (None: the whole network), oldest first.

    Four queries whatever the number of cases or items: the first `limit` complaints and
    follow-ups, each read along their pending index, and one count of each (counting a column
    of that index, so that PostgreSQL counts from the index alone).
    """
    now = now or timezone.now()
    day = today(now)
    complaints = _due_complaints(services, now)
    follow_ups = _due_follow_ups(services, now)
    related = ("case", "service")
    first_complaints = (
        complaints.select_related(*related)
        .only(*_COMPLAINT_COLUMNS, *_RELATED_COLUMNS)
        .order_by("deadline", "id")[:limit]
    )
    first_follow_ups = (
        follow_ups.select_related(*related)
        .only(*_FOLLOW_UP_COLUMNS, *_RELATED_COLUMNS)
        .order_by("due_on", "id")[:limit]
    )
    items = [
        *(_complaint_item(c, now) for c in first_complaints),
        *(_follow_up_item(f, now) for f in first_follow_ups),
    ]
    items.sort(key=lambda item: (item.due_at, item.kind, item.pk))
    complaint_counts = complaints.aggregate(
        overdue=Count("deadline", filter=Q(deadline__lt=now)), all=Count("deadline")
    )
    follow_up_counts = follow_ups.aggregate(
        overdue=Count("due_on", filter=Q(due_on__lt=day)), all=Count("due_on")
    )
    overdue = complaint_counts["overdue"] + follow_up_counts["overdue"]
    everything = complaint_counts["all"] + follow_up_counts["all"]
    return PendingList(items=items[:limit], overdue=overdue, due_today=everything - overdue)


def pending_count(*, services, now: datetime | None = None, cap: int | None = None) -> int:
    """How many items are overdue or due today in `services` (the navigation's badge): one
    query, answered from the two pending indexes. With a `cap`, it counts no further than
    cap + 1: a national scope's badge need not read every pending item of the country."""
    now = now or timezone.now()
    one = {"one": Value(1)}
    complaints = _due_complaints(services, now).order_by().values(**one)
    follow_ups = _due_follow_ups(services, now).order_by().values(**one)
    items = complaints.union(follow_ups, all=True)
    return (items[: cap + 1] if cap is not None else items).count()


def due_between(start: datetime, end: datetime, *, services=None) -> Iterable[PendingItem]:
    """Pending items falling due in [start, end): what a notifier would announce for that span.

    An item falls due at its `due_at`: a complaint at its deadline, a follow-up at the start of
    its due day. Consecutive spans of any length (an hour, a day) therefore announce each item
    once, in the span holding that moment.
    """
    complaints = _in_services(pending_complaints(), services).filter(
        deadline__gte=start, deadline__lt=end
    )
    follow_ups = _in_services(pending_follow_ups(), services).filter(
        due_on__gte=first_day_from(start), due_on__lt=first_day_from(end)
    )
    for complaint in complaints.select_related("case", "service").order_by("deadline", "id"):
        yield _complaint_item(complaint, start)
    for follow_up in follow_ups.select_related("case", "service").order_by("due_on", "id"):
        yield _follow_up_item(follow_up, start)


def open_items_of_case(case) -> list[Complaint | FollowUp]:
    """Everything still pending on `case`, due or not: what keeps it from being closed."""
    return [
        *pending_complaints().filter(case=case).order_by("deadline", "id"),
        *pending_follow_ups().filter(case=case).order_by("due_on", "id"),
    ]
