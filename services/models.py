"""Peru's geography (INEI codes) and the care-service network, with staff assignments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from .addresses import current_client_ip


@deconstructible
class DigitsValidator(RegexValidator):
    """Accept exactly `length` digits, as INEI codes are written."""

    message = _("Enter exactly %(length)d digits.")
    code = "invalid_code"

    def __init__(self, length: int):
        self.length = length
        super().__init__(rf"^\d{{{length}}}$")

    def __call__(self, value) -> None:
        if not self.regex.fullmatch(str(value)):
            raise ValidationError(self.message, code=self.code, params={"length": self.length})


class Region(models.Model):
    """A department (or Callao): the first two digits of an INEI ubigeo."""

    code = models.CharField(
        _("INEI code"), max_length=2, primary_key=True, validators=[DigitsValidator(2)]
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Province(models.Model):
    code = models.CharField(
        _("INEI code"), max_length=4, primary_key=True, validators=[DigitsValidator(4)]
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="provinces", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__startswith=F("region_id")),
                name="province_code_within_region",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    code = models.CharField(
        _("ubigeo"), max_length=6, primary_key=True, validators=[DigitsValidator(6)]
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__startswith=F("province_id")),
                name="district_code_within_province",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def region_code(self) -> str:
        return self.code[:2]


class Community(models.Model):
    """A centro poblado, comunidad campesina or comunidad nativa within a district."""

    class Kind(models.TextChoices):
        CENTRO_POBLADO = "CP", _("Centro poblado")
        CAMPESINA = "CC", _("Comunidad campesina")
        NATIVA = "CN", _("Comunidad nativa")

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="communities", verbose_name=_("district")
    )
    code = models.CharField(
        _("INEI code"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[DigitsValidator(10)],
        help_text=_("The district's 6 digits followed by 4 more; leave empty if unknown."),
    )
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=2, choices=Kind.choices, default=Kind.CENTRO_POBLADO
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["district_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__isnull=True) | Q(code__startswith=F("district_id")),
                name="community_code_within_district",
                violation_error_message=_(
                    "The community code must start with its district's ubigeo."
                ),
            ),
            models.UniqueConstraint(
                Lower("name"),
                "district",
                name="unique_community_name_per_district",
                violation_error_message=_("This district already has a community with that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CareServiceQuerySet(models.QuerySet):
    def active_between(self, start, end):
        """Services open at any time in `start`..`end` (both inclusive)."""
        return self.filter(opened_on__lte=end).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gte=start)
        )

    def in_regions(self, region_codes):
        return self.filter(district__province__region__in=region_codes)


class CareService(models.Model):
    """A service of the network: a CEM, a SAR or a CAI (shelters live in `shelters`)."""

    class Kind(models.TextChoices):
        CEM = "CEM", _("Women's Emergency Center (CEM)")
        SAR = "SAR", _("Rural Care Service (SAR)")
        CAI = "CAI", _("Institutional Care Center (CAI)")

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9-]*$",
                _("Use capital letters, digits and hyphens only."),
            )
        ],
    )
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=150)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("district"),
        help_text=_("Where the service has its seat."),
    )
    opened_on = models.DateField(_("opening date"))
    closed_on = models.DateField(_("closing date"), null=True, blank=True)
    open_24h = models.BooleanField(
        _("open 24 hours"), default=False, help_text=_("Only for a CEM.")
    )
    covered_districts = models.ManyToManyField(
        District,
        blank=True,
        related_name="covering_services",
        verbose_name=_("districts covered"),
        help_text=_("For a SAR: the rural districts it serves."),
    )
    covered_communities = models.ManyToManyField(
        Community,
        blank=True,
        related_name="covering_services",
        verbose_name=_("communities covered"),
        help_text=_("For a SAR: the communities it serves."),
    )

    objects = CareServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("care service")
        verbose_name_plural = _("care services")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["CEM", "SAR", "CAI"]),
                name="care_service_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="care_service_closes_after_opening",
                violation_error_message=_("The closing date cannot be before the opening date."),
            ),
            models.CheckConstraint(
                condition=Q(open_24h=False) | Q(kind="CEM"),
                name="care_service_24h_only_cem",
                violation_error_message=_("Only a CEM can be open 24 hours."),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "opened_on"], name="service_kind_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_sar(self) -> bool:
        return self.kind == self.Kind.SAR


class StaffAssignment(models.Model):
    """A user's role and the scope it applies to.

    A caseworker belongs to one service per assignment; a manager has a region, or none for the
    national scope; shelter staff have a region. Administrators are Django superusers.
    """

    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")
        MANAGER = "manager", _("Manager")
        SHELTER_STAFF = "shelter_staff", _("Shelter staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    service = models.ForeignKey(
        CareService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("service"),
        help_text=_("Caseworkers only."),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("region"),
        help_text=_("Shelter staff and regional managers; leave empty for a national manager."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="caseworker", service__isnull=False, region__isnull=True)
                    | Q(role="manager", service__isnull=True)
                    | Q(role="shelter_staff", service__isnull=True, region__isnull=False)
                ),
                name="assignment_scope_matches_role",
                violation_error_message=_(
                    "A caseworker needs a service; shelter staff need a region; a manager has a "
                    "region or none (national), never a service."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "service"],
                condition=Q(role="caseworker"),
                name="unique_caseworker_service",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="unique_role_region",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role="manager", region__isnull=True),
                name="unique_national_manager",
                violation_error_message=_("This user is already a national manager."),
            ),
        ]

    def __str__(self) -> str:
        scope = self.service or self.region or _("national")
        return f"{self.user} · {self.get_role_display()} · {scope}"


class LogEntry(models.Model):
    """Who did what, when: the shape of every audit trail (cases, shelters).

    Written in the same transaction as the change it records. `changes` never holds a victim's
    name or document number.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # The client's address, from the request being answered (services.addresses); empty for
    # writes made outside a request (an import from the shell, a task).
    ip_address = models.GenericIPAddressField(
        _("IP address"), null=True, blank=True, editable=False, default=current_client_ip
    )

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]


class RefusedAccess(LogEntry):
    """A request refused with 404: the page is not for the user's role, or what it names (a
    case, a shelter, a service) is outside her scope or does not exist.

    The answer is the same 404 in every case; the trail tells them apart for administrators. It
    keeps the path only, never the query string (which may carry a document number).
    """

    class Reason(models.TextChoices):
        ROLE = "role", _("Not for the user's role")
        OUT_OF_SCOPE = "out_of_scope", _("Exists, outside the user's scope")
        NOT_FOUND = "not_found", _("Does not exist")

    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    object_code = models.CharField(
        _("code asked for"),
        max_length=40,
        blank=True,
        help_text=_("The code of the case, shelter or service asked for, when there is one."),
    )

    class Meta(LogEntry.Meta):
        verbose_name = _("refused access")
        verbose_name_plural = _("refused accesses")
        indexes = [models.Index(fields=["user", "-at"], name="refused_access_user_at_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.path} · {self.at:%Y-%m-%d %H:%M}"


class Submission(models.Model):
    """A form submission already stored: its one-time key and where its result is.

    Every form that creates something carries a key made when the form was shown; a repeat of
    the same key (a second click, a retry on a slow link) stores nothing and answers the first
    result. The unique key settles a race in the database. Rows older than a month are swept.
    """

    key = models.UUIDField(_("key"), unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    result_url = models.CharField(_("result"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return str(self.key)
