"""Temporary shelter homes (HRT), the people they take in and their stays.

Occupancy is never stored: it is the number of open stays (no discharge date), counted by the
database. Names of residents are sensitive: no `__str__` here returns one.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from services.models import CareService, District, LogEntry
from services.rules import MAX_AGE

DUE_WITHIN_DAYS = 7
ADULT_AGE = 18


class Sex(models.IntegerChoices):
    """Coded as in the national registry and the stays import (0 mujer, 1 hombre)."""

    FEMALE = 0, _("Female")
    MALE = 1, _("Male")


class ShelterQuerySet(models.QuerySet):
    def in_regions(self, region_codes):
        return self.filter(district__province__region__in=region_codes)

    def with_occupancy(self):
        """Annotate `occupied`: the open stays, counted by the database in the same query."""
        return self.annotate(occupied=Count("stays", filter=Q(stays__discharged_on__isnull=True)))

    def current(self, on: date | None = None):
        """Shelters not closed before `on` (today by default), or still holding someone.

        Needs `with_occupancy()`.
        """
        on = on or timezone.localdate()
        return self.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=on) | Q(occupied__gt=0))


class Shelter(models.Model):
    """A temporary shelter home (Hogar de Refugio Temporal). Its region follows from its
    district. The address is confidential: only its region's shelter staff and administrators
    see it, never in lists, reports or exports."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9-]*$", _("Use capital letters, digits and hyphens only.")
            )
        ],
        help_text=_("For example HRT-080101."),
    )
    name = models.CharField(_("name"), max_length=150)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="shelters",
        verbose_name=_("district"),
    )
    address = models.CharField(
        _("address"),
        max_length=300,
        blank=True,
        help_text=_("Confidential: shown only to the region's shelter staff and administrators."),
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity (beds)"),
        validators=[MinValueValidator(1)],
        help_text=_("Beds: a mother and each of her children take one each."),
    )
    opened_on = models.DateField(_("opening date"))
    closed_on = models.DateField(_("closing date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ShelterQuerySet.as_manager()

    class Meta:
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="shelter_capacity_positive",
                violation_error_message=_("The capacity must be at least one bed."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="shelter_closes_after_opening",
                violation_error_message=_("The closing date cannot be before the opening date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def region_code(self) -> str:
        return self.district_id[:2]

    def is_open_on(self, day: date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day <= self.closed_on)

    # The properties below need `with_occupancy()`.

    @property
    def free(self) -> int:
        return max(self.capacity - self.occupied, 0)

    @property
    def occupancy_rate(self) -> int:
        """Occupied beds as a whole percentage of the capacity."""
        return round(100 * self.occupied / self.capacity) if self.capacity else 0


class Person(models.Model):
    """A woman, or a girl or boy who comes with her, as known to the shelters.

    The same person may have several stays over time, never two open at once.
    """

    full_name = models.CharField(
        _("full name"),
        max_length=200,
        blank=True,
        help_text=_("Imported records may have none."),
    )
    sex = models.PositiveSmallIntegerField(_("sex"), choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    victim_case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sheltered_victims",
        verbose_name=_("victim of case"),
        help_text=_("The case in which she is the person attended (the victim)."),
    )
    external_id = models.CharField(
        _("external identifier"),
        max_length=60,
        null=True,
        blank=True,
        unique=True,
        help_text=_("ID_PERSONA of the stays import: identifies the person across rows."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sheltered person")
        verbose_name_plural = _("sheltered people")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["victim_case"],
                condition=Q(victim_case__isnull=False),
                name="one_person_per_victim_case",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: this string ends up in logs, admin history and messages.
        return self.external_id or f"#{self.pk}"


class StayQuerySet(models.QuerySet):
    def open(self):
        return self.filter(discharged_on__isnull=True)

    def overlapping(self, start: date, end: date):
        """Stays in the shelter at any time in `start`..`end` (both inclusive)."""
        return self.filter(admitted_on__lte=end).filter(
            Q(discharged_on__isnull=True) | Q(discharged_on__gte=start)
        )


class Stay(models.Model):
    """A person in a shelter from her admission to her discharge (open while she stays)."""

    class Role(models.TextChoices):
        WOMAN = "woman", _("Woman")
        CHILD = "child", _("Child")

    class DischargeReason(models.TextChoices):
        PLAN_COMPLETED = "completed", _("Stay plan completed")
        FAMILY = "family", _("Went to live with relatives or a support network")
        INDEPENDENT = "independent", _("Independent living")
        TRANSFERRED = "transferred", _("Transferred to another shelter")
        VOLUNTARY = "voluntary", _("Left of her own will")
        OTHER = "other", _("Other reason")

    shelter = models.ForeignKey(
        Shelter, on_delete=models.PROTECT, related_name="stays", verbose_name=_("shelter")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="stays", verbose_name=_("person")
    )
    role = models.CharField(_("role in the family"), max_length=5, choices=Role.choices)
    family_group = models.UUIDField(
        _("family group"),
        default=uuid.uuid4,
        db_index=True,
        help_text=_("Shared by a mother and the children admitted with her."),
    )
    age_at_admission = models.PositiveSmallIntegerField(
        _("age at admission"), validators=[MaxValueValidator(MAX_AGE)]
    )
    admitted_on = models.DateField(_("admission date"))
    planned_discharge_on = models.DateField(_("planned discharge date"), null=True, blank=True)
    discharged_on = models.DateField(_("discharge date"), null=True, blank=True)
    discharge_reason = models.CharField(
        _("discharge reason"), max_length=12, choices=DischargeReason.choices, blank=True
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shelter_stays",
        verbose_name=_("referring case"),
    )
    referring_service = models.ForeignKey(
        CareService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shelter_stays",
        verbose_name=_("referring service"),
    )
    transferred_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transferred_to",
        verbose_name=_("transferred from"),
    )
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("admitted by"),
    )
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("discharged by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = StayQuerySet.as_manager()

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        ordering = ["-admitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(discharged_on__isnull=True),
                name="one_open_stay_per_person",
                violation_error_message=_("This person already has an open stay."),
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("admitted_on")),
                name="stay_discharged_after_admission",
                violation_error_message=_("The discharge date cannot be before the admission."),
            ),
            models.CheckConstraint(
                condition=Q(planned_discharge_on__isnull=True)
                | Q(planned_discharge_on__gte=F("admitted_on")),
                name="stay_planned_after_admission",
                violation_error_message=_(
                    "The planned discharge date cannot be before the admission."
                ),
            ),
            models.CheckConstraint(
                condition=Q(discharge_reason="") | Q(discharged_on__isnull=False),
                name="stay_reason_only_when_discharged",
            ),
            models.CheckConstraint(
                condition=Q(age_at_admission__lte=MAX_AGE), name="stay_age_range"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["woman", "child"]), name="stay_role_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["shelter"],
                condition=Q(discharged_on__isnull=True),
                name="stay_open_by_shelter_idx",
            ),
            models.Index(fields=["admitted_on", "discharged_on"], name="stay_period_idx"),
        ]

    def __str__(self) -> str:
        # Never the person's name.
        return f"{_('stay')} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None

    def days_of_stay(self, today: date | None = None) -> int:
        end = self.discharged_on or today or timezone.localdate()
        return (end - self.admitted_on).days

    def is_due(self, today: date | None = None) -> bool:
        """Due to leave: planned to within the next week, or overdue."""
        if not self.is_open or self.planned_discharge_on is None:
            return False
        today = today or timezone.localdate()
        return (self.planned_discharge_on - today).days <= DUE_WITHIN_DAYS

    def is_overdue(self, today: date | None = None) -> bool:
        if not self.is_open or self.planned_discharge_on is None:
            return False
        return self.planned_discharge_on < (today or timezone.localdate())


class ShelterLog(LogEntry):
    """Who changed what in a shelter, and when: admissions, discharges, transfers, edits.

    Written in the same transaction as the change. Never holds a name.
    """

    class Action(models.TextChoices):
        ADMIT = "admit", _("Admitted")
        DISCHARGE = "discharge", _("Discharged")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        EDIT = "edit", _("Shelter edited")

    shelter = models.ForeignKey(
        Shelter, on_delete=models.PROTECT, related_name="log", verbose_name=_("shelter")
    )
    stay = models.ForeignKey(
        Stay,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="log",
        verbose_name=_("stay"),
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)

    class Meta(LogEntry.Meta):
        verbose_name = _("shelter log entry")
        verbose_name_plural = _("shelter log")

    def __str__(self) -> str:
        return f"{self.shelter_id} · {self.action} · {self.at:%Y-%m-%d %H:%M}"
