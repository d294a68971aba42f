"""The reports' rollup table (see reports/rollups.py: what it holds and who keeps it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from services.models import CareService


class Rollup(models.Model):
    """How many facts of a kind a service had in a month (or a year) under one key of one
    dimension, and one extra sum. Kept by database triggers in the writing transaction: never
    written by the application (`reports.rollups`)."""

    fact = models.CharField(_("fact"), max_length=12)
    service = models.ForeignKey(
        CareService,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique constraint serves the reads
        related_name="+",
    )

    class Span(models.TextChoices):
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    # The counts of a calendar month, or of a whole year (read for the years a period covers):
    # `start` is the span's first day.
    span = models.CharField(_("span"), max_length=5, choices=Span.choices)
    start = models.DateField(_("first day"))
    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.CharField(_("key"), max_length=40, blank=True)
    n = models.IntegerField(_("count"), default=0)
    extra = models.BigIntegerField(_("extra sum"), default=0)

    class Meta:
        verbose_name = _("rollup row")
        verbose_name_plural = _("rollup rows")
        constraints = [
            # Also the index the reports read: a fact's dimension over a range of spans. No
            # counts in it (INCLUDE): they change on every write, and an update of an indexed
            # column cannot stay on its page (HOT); the reports read few rows.
            models.UniqueConstraint(
                fields=["fact", "dimension", "span", "start", "service", "key"],
                name="rollup_row_unique",
            )
        ]
        indexes = [
            # The exact waits of the protection median (`wait`, one row per service, month and
            # microsecond) are read by a range of keys in a few months: the unique index has the
            # service before the key, so it would read every wait of those months.
            models.Index(
                fields=["fact", "span", "start", "key"],
                condition=models.Q(dimension="wait"),
                name="rollup_wait_key_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.fact} {self.service_id} {self.span} {self.start} {self.dimension}={self.key}"
