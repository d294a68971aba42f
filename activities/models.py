"""Community activities: the prevention work of SARs and CEMs (workshops, campaigns, meetings
with community authorities...), registered and counted, with their audit trail."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from services.models import CareService, Community, District, LogEntry

from . import registry
from .rules import MAX_HOURS, MAX_PARTICIPANTS, PARTICIPANT_FIELDS, REASON_LENGTH, TOPIC_LENGTH


def participants_expression():
    """The number of participants of an activity, as a database expression (for sums)."""
    return F("women") + F("men") + F("girls") + F("boys")


class ActivityQuerySet(models.QuerySet):
    def counted(self):
        """The activities the reports count: those not cancelled."""
        return self.filter(cancelled_at__isnull=True)

    def for_list(self):
        return self.select_related("service", "district", "community").order_by("-date", "-id")


class Activity(models.Model):
    """One activity of a service in a place, with the people it reached counted, never named."""

    code = models.CharField(_("activity code"), max_length=40, unique=True, editable=False)
    service = models.ForeignKey(
        CareService,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("service"),
    )
    date = models.DateField(_("date"))
    duration_hours = models.DecimalField(
        _("duration (hours)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty if not known."),
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="activities", verbose_name=_("district")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("community"),
    )
    type = models.CharField(
        _("type of activity"), max_length=registry.CODE_LENGTH, choices=registry.choices()
    )
    topic = models.CharField(_("topic"), max_length=TOPIC_LENGTH)
    women = models.PositiveIntegerField(
        _("women"),
        default=0,
        validators=[MaxValueValidator(MAX_PARTICIPANTS)],
        help_text=_("Aged 18 or more."),
    )
    men = models.PositiveIntegerField(
        _("men"),
        default=0,
        validators=[MaxValueValidator(MAX_PARTICIPANTS)],
        help_text=_("Aged 18 or more."),
    )
    girls = models.PositiveIntegerField(
        _("girls"),
        default=0,
        validators=[MaxValueValidator(MAX_PARTICIPANTS)],
        help_text=_("Under 18."),
    )
    boys = models.PositiveIntegerField(
        _("boys"),
        default=0,
        validators=[MaxValueValidator(MAX_PARTICIPANTS)],
        help_text=_("Under 18."),
    )
    partners = models.CharField(
        _("partner organisations"),
        max_length=300,
        blank=True,
        help_text=_("The institutions and organisations that took part, if any."),
    )

    # Keys that make a create idempotent: an import's row (ID_ACTIVIDAD, with the service) and
    # a device's item (the field sync's UUID). A repeat finds the first and stores nothing.
    # NULL, not "", when there is none: unique per service only among those that have one.
    external_id = models.CharField(  # noqa: DJ001
        _("service's own identifier"),
        max_length=40,
        null=True,
        blank=True,
        editable=False,
        help_text=_("ID_ACTIVIDAD of an imported row; with the service, it identifies the row."),
    )
    client_key = models.UUIDField(
        _("device key"),
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("The identifier a device gave the activity it registered offline."),
    )

    # Life of the record: edited optimistically, never deleted, cancelled with a reason.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(
        _("reason for cancelling"), max_length=REASON_LENGTH, blank=True
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community activity")
        verbose_name_plural = _("community activities")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "external_id"],
                condition=Q(external_id__isnull=False),
                name="unique_activity_external_id",
            ),
            models.CheckConstraint(
                condition=Q(external_id__isnull=True) | ~Q(external_id=""),
                name="activity_external_id_not_blank",
            ),
            # The rules of activities/rules.py that hold within one row, for every write path.
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": MAX_PARTICIPANTS}),
                    name=f"activity_{name}_range",
                )
                for name in PARTICIPANT_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(women__gt=0) | Q(men__gt=0) | Q(girls__gt=0) | Q(boys__gt=0),
                name="activity_has_participants",
            ),
            models.CheckConstraint(
                condition=Q(duration_hours__isnull=True)
                | Q(duration_hours__gt=0, duration_hours__lte=MAX_HOURS),
                name="activity_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(type__in=registry.codes()), name="activity_type_valid"
            ),
            models.CheckConstraint(condition=~Q(topic=""), name="activity_has_topic"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True, cancelled_by__isnull=True, cancel_reason="")
                | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="activity_cancelled_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["service", "-date"], name="activity_service_date_idx"),
            # The reports read these columns of a period's activities: on PostgreSQL the index
            # answers them alone (an index-only scan); other databases keep a plain date index.
            models.Index(
                fields=["date"],
                include=[
                    "service",
                    "type",
                    "district",
                    "community",
                    *PARTICIPANT_FIELDS,
                    "cancelled_at",
                ],
                name="activity_report_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def participants(self) -> int:
        return self.women + self.men + self.girls + self.boys

    @property
    def type_label(self) -> str:
        return registry.label_for(self.type)


class ActivitySequence(models.Model):
    """The last activity number given by a service in a year; read and bumped under a row
    lock, so that two registrations at once never get the same code."""

    service = models.ForeignKey(CareService, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "year"], name="unique_activity_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.year}: {self.last}"


class AuditEntry(LogEntry):
    """Who read or changed which activity, when, and what changed."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CREATE = "create", _("Registered")
        UPDATE = "update", _("Edited")
        CANCEL = "cancel", _("Cancelled")
        IMPORT = "import", _("Imported")

    activity = models.ForeignKey(
        Activity,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("activity"),
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)

    class Meta(LogEntry.Meta):
        verbose_name = _("activity audit entry")
        verbose_name_plural = _("activity audit entries")

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.action} · {self.at:%Y-%m-%d %H:%M}"
