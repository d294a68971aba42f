"""The case record, in the coding of the national CEM registry, and its follow-up."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from services.models import CareService, Community, District, LogEntry
from services.rules import MAX_AGE

from . import measures, registry
from .rules import (
    CHILDREN_FIELDS,
    DNI,
    DNI_LENGTH,
    ENDED_STATES,
    FEMALE,
    GRANTED_STATES,
    MAX_CHILDREN,
    RELATIONSHIP_DETAIL,
)


def registry_column(field: models.Field, name: str) -> models.Field:
    """Mark `field` as holding registry variable `name` (imports and exports map one to one)."""
    field.registry_column = name
    return field


def coded(name: str, verbose_name, *, null: bool = False, **kwargs) -> models.Field:
    """A field holding the official code of registry variable `name`, labelled from the file."""
    field = models.PositiveSmallIntegerField(
        verbose_name, choices=registry.choices(name), null=null, blank=null, **kwargs
    )
    return registry_column(field, name)


def yes_no(name: str, verbose_name, *, null: bool = True, **kwargs) -> models.Field:
    """A registry 0/1 variable (0 = No, 1 = Sí); empty when not asked."""
    return registry_column(models.BooleanField(verbose_name, null=null, blank=null, **kwargs), name)


class CaseQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("service", "district__province", "community").order_by(
            "-intake_date", "-id"
        )


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_CARE = "in_care", _("In care")
        REFERRED = "referred", _("Referred")
        CLOSED = "closed", _("Closed")

    class DocumentType(models.TextChoices):
        DNI = "DNI", _("DNI")
        CE = "CE", _("Foreigner's card (carné de extranjería)")
        PASSPORT = "PAS", _("Passport")
        OTHER = "OTR", _("Other document")

    class ClosureReason(models.TextChoices):
        COMPLETED = "completed", _("Care completed")
        TRANSFERRED = "transferred", _("Transferred to another service")
        WITHDREW = "withdrew", _("The person withdrew")
        UNREACHABLE = "unreachable", _("The person could not be reached")
        OTHER = "other", _("Other reason")

    # Identity of the record
    service = models.ForeignKey(
        CareService, on_delete=models.PROTECT, related_name="cases", verbose_name=_("service")
    )
    code = models.CharField(_("case code"), max_length=40, unique=True, editable=False)
    number = models.CharField(
        _("case number"),
        max_length=30,
        editable=False,
        help_text=_("NUMERO_CASO: with the service's code, identifies the case in imports."),
    )
    intake_date = registry_column(models.DateField(_("intake date")), "FECHA_INGRESO")
    condition = coded("CONDICION", _("case condition"))
    # Unknown (NULL) when an imported file does not carry the column: never invented, counted
    # as "No registrado". The intake form requires them.
    entry_route = coded("FORMA_INGRESO", _("entry route"), null=True)

    # The person (persona usuaria)
    # Required by the intake form; registry files (anonymised open data) may not carry it.
    victim_name = models.CharField(_("full name"), max_length=200, blank=True)
    victim_document_type = models.CharField(
        _("document type"), max_length=3, choices=DocumentType.choices, blank=True
    )
    victim_document_number = models.CharField(
        _("document number"), max_length=20, blank=True, db_index=True
    )
    victim_birth_date = models.DateField(_("birth date"), null=True, blank=True)
    victim_age = registry_column(
        models.PositiveSmallIntegerField(
            _("age"),
            validators=[MaxValueValidator(MAX_AGE)],
            help_text=_("Completed years on the intake date."),
        ),
        "EDAD_VICTIMA",
    )
    victim_sex = coded("SEXO_VICTIMA", _("sex"))
    victim_peruvian = yes_no("VICTIMA_PERUANA", _("Peruvian"), null=False, default=True)
    victim_country = coded("VICTIMA_PAIS_EXTRANJERO", _("nationality (if foreign)"), null=True)
    victim_mother_tongue = coded("LENGUA_MATERNA_VICTIMA", _("mother tongue"), null=True)
    victim_ethnicity = coded("ETNIA_VICTIMA", _("ethnic self-identification"), null=True)
    victim_disability = yes_no(
        "DISCAPACIDAD_VICTIMA", _("has a disability"), null=False, default=False
    )
    victim_pregnant = yes_no("VICTIMA_GESTANDO", _("pregnant"))
    victim_education = coded("NIVEL_EDUCATIVO_VICTIMA", _("education level"), null=True)
    victim_marital_status = coded("ESTADO_CIVIL_VICTIMA", _("marital status"), null=True)
    victim_works = yes_no("TRABAJA_VICTIMA", _("has paid work"))
    daughters_0_17 = registry_column(
        models.PositiveSmallIntegerField(
            _("daughters aged 0 to 17"), default=0, validators=[MaxValueValidator(MAX_CHILDREN)]
        ),
        "HIJAS_VIVAS_0_17",
    )
    sons_0_17 = registry_column(
        models.PositiveSmallIntegerField(
            _("sons aged 0 to 17"), default=0, validators=[MaxValueValidator(MAX_CHILDREN)]
        ),
        "HIJOS_VIVOS_0_17",
    )
    daughters_18_plus = registry_column(
        models.PositiveSmallIntegerField(
            _("daughters aged 18 or more"), default=0, validators=[MaxValueValidator(MAX_CHILDREN)]
        ),
        "HIJAS_VIVAS_18_MAS",
    )
    sons_18_plus = registry_column(
        models.PositiveSmallIntegerField(
            _("sons aged 18 or more"), default=0, validators=[MaxValueValidator(MAX_CHILDREN)]
        ),
        "HIJOS_VIVOS_18_MAS",
    )

    # Residence
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("district of residence"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("community of residence"),
    )
    residence_area = coded("AREA_RESIDENCIA_DOMICILIO", _("area of residence"), null=True)

    # The alleged aggressor
    aggressor_sex = coded("SEXO_AGRESOR", _("aggressor's sex"), null=True)
    aggressor_age = registry_column(
        models.PositiveSmallIntegerField(
            _("aggressor's age"), null=True, blank=True, validators=[MaxValueValidator(MAX_AGE)]
        ),
        "EDAD_AGRESOR",
    )
    relationship = coded("VINCULO_AGRESOR_VICTIMA", _("relationship to the person"), null=True)
    partner_relationship = coded("VINCULO_PAREJA", _("partner relationship"), null=True)
    family_relationship = coded("VINCULO_FAMILIAR", _("family relationship"), null=True)
    other_relationship = coded("SIN_VINCULO", _("other relationship"), null=True)
    aggressor_lives_with_victim = coded(
        "AGRESOR_VIVE_CASA_VICTIMA", _("lives in the person's home"), null=True
    )

    # Violence and risk
    violence_type = coded("TIPO_VIOLENCIA", _("type of violence"))
    violence_acts = models.JSONField(
        _("acts of violence"),
        default=list,
        blank=True,
        help_text=_("Registry variables (items 73 to 128) answered yes, of the chosen type."),
    )
    risk_level = coded("NIVEL_DE_RIESGO_VICTIMA", _("risk level"))
    complaint_filed = yes_no("INTERPUSO_DENUNCIA", _("complaint already filed"))
    wants_to_file = yes_no("DESEA_DENUNCIAR", _("wants to file a complaint"))
    protective_measures = yes_no("CUENTA_MEDIDAS_PROTECCION", _("has protective measures"))

    # Life of the case
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closed_on = models.DateField(_("closing date"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=15, choices=ClosureReason.choices, blank=True
    )
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

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-intake_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="unique_case_number"),
            # The rules of cases/rules.py that hold within one row, for every write path.
            models.CheckConstraint(
                condition=Q(victim_age__lte=MAX_AGE), name="case_victim_age_range"
            ),
            models.CheckConstraint(
                condition=Q(aggressor_age__isnull=True) | Q(aggressor_age__lte=MAX_AGE),
                name="case_aggressor_age_range",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__lte": MAX_CHILDREN}),
                    name=f"case_{field}_range",
                )
                for field in CHILDREN_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(victim_birth_date__isnull=True)
                | Q(victim_birth_date__lte=F("intake_date")),
                name="case_born_before_intake",
            ),
            models.CheckConstraint(
                condition=Q(victim_pregnant__isnull=True)
                | Q(victim_pregnant=False)
                | Q(victim_sex=FEMALE),
                name="case_pregnant_only_female",
            ),
            # A foreign national's country may be unknown (a file without the column); the form
            # asks for it. A Peruvian never has one.
            models.CheckConstraint(
                condition=Q(victim_country__isnull=True) | Q(victim_peruvian=False),
                name="case_peruvian_has_no_foreign_country",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__isnull": True}) | Q(relationship=code),
                    name=f"case_{field}_matches",
                )
                for code, field in RELATIONSHIP_DETAIL.items()
            ],
            models.CheckConstraint(
                condition=Q(victim_document_type="", victim_document_number="")
                | (~Q(victim_document_type="") & ~Q(victim_document_number="")),
                name="case_document_type_and_number",
            ),
            models.CheckConstraint(
                condition=~Q(victim_document_type=DNI)
                | Q(victim_document_number__regex=rf"^[0-9]{{{DNI_LENGTH}}}$"),
                name="case_dni_digits",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False)
                | (~Q(status="closed") & Q(closed_on__isnull=True)),
                name="case_closed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(
                    risk_level__in=sorted(registry.variable("NIVEL_DE_RIESGO_VICTIMA").codes)
                ),
                name="case_risk_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(violence_type__in=sorted(registry.variable("TIPO_VIOLENCIA").codes)),
                name="case_violence_type_valid",
            ),
        ]
        indexes = [
            # A service's list, newest first (the case list's own order, id breaking ties).
            models.Index(fields=["service", "-intake_date", "-id"], name="case_service_list_idx"),
            # The list filtered by status ("open", the few among a million closed): its first
            # page and its capped count read only the matching entries.
            models.Index(fields=["status", "-intake_date", "-id"], name="case_status_list_idx"),
            # Read backwards, the whole list's order (newest first): the first page is the
            # index's last 25 entries, however many cases. Forwards, the edge days of a
            # report's period (reports/rollups.py) with the columns they count: PostgreSQL
            # answers those from the index alone. Other databases keep a plain index.
            models.Index(
                fields=["intake_date", "id"],
                include=[
                    "service",
                    "victim_sex",
                    "victim_age",
                    "violence_type",
                    "risk_level",
                    "district",
                    "community",
                ],
                name="case_report_idx",
            ),
        ]

    def __str__(self) -> str:
        # Never the person's name: this string ends up in logs, admin history and messages.
        return self.code

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class CaseSequence(models.Model):
    """The last case number given by a service in a year; read and bumped under a row lock."""

    service = models.ForeignKey(CareService, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "year"], name="unique_case_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.year}: {self.last}"


class CaseAction(models.Model):
    class Kind(models.TextChoices):
        PSYCHOLOGICAL = "psychological", _("Psychological session")
        SOCIAL = "social", _("Social work session")
        LEGAL = "legal", _("Legal session")
        HOME_VISIT = "home_visit", _("Home visit")
        RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
        OTHER = "other", _("Other action")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("kind of action"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff"),
    )
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.date}"


class Referral(models.Model):
    class Destination(models.TextChoices):
        PNP = "pnp", _("National Police (PNP)")
        PROSECUTOR = "prosecutor", _("Public Prosecutor's Office (Ministerio Público)")
        JUDICIARY = "judiciary", _("Judiciary (Poder Judicial)")
        SHELTER = "shelter", _("Temporary shelter home (HRT)")
        CEM = "cem", _("Another CEM")
        SAR = "sar", _("Another SAR")
        HEALTH = "health", _("Health services")
        OTHER = "other", _("Other institution")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    destination = models.CharField(_("referred to"), max_length=12, choices=Destination.choices)
    destination_service = models.ForeignKey(
        CareService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("receiving service"),
    )
    destination_detail = models.CharField(_("institution or office"), max_length=200, blank=True)
    date = models.DateField(_("date"))
    consent = models.BooleanField(
        _("the person consents to the referral"),
        help_text=_("Record whether the person agreed; a referral without consent needs a note."),
    )
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_destination_display()} · {self.date}"


class Complaint(models.Model):
    """A complaint (denuncia) of the violence, filed with the police, a prosecutor or a court.

    Its receipt starts the legal clock: the judge has `deadline` to grant protection measures
    (cases/clock.py). It stays pending until a measure is decided for it (granted or denied) or
    the caseworker sets it aside with a reason; `settled_at` records when.
    """

    class Place(models.TextChoices):
        POLICE = "police", _("Police station (PNP)")
        PROSECUTOR = "prosecutor", _("Public Prosecutor's Office")
        FAMILY_COURT = "family_court", _("Family court")
        PEACE_COURT = "peace_court", _("Justice of the peace")

    class FiledBy(models.TextChoices):
        VICTIM = "victim", _("The person herself")
        SERVICE = "service", _("The service's staff")
        RELATIVE = "relative", _("A relative")
        OTHER = "other", _("Someone else")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("case")
    )
    # The case's service, kept on the row so that a service's pending list reads one index.
    service = models.ForeignKey(
        CareService, on_delete=models.PROTECT, related_name="+", editable=False
    )
    filed_at = models.DateTimeField(_("filed at"))
    place = models.CharField(_("filed with"), max_length=12, choices=Place.choices)
    place_name = models.CharField(
        _("station or office"),
        max_length=200,
        blank=True,
        help_text=_("For example: Comisaría PNP de Ccatca."),
    )
    filed_by = models.CharField(_("filed by"), max_length=8, choices=FiledBy.choices)
    reference = models.CharField(_("reference number"), max_length=60, blank=True)
    deadline = models.DateTimeField(
        _("deadline for measures"),
        editable=False,
        help_text=_("When it was filed plus the legal hours in force when it was recorded."),
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True, editable=False)
    set_aside_reason = models.TextField(
        _("reason it needs no measure"), blank=True, max_length=1000
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=F("filed_at")), name="complaint_deadline_after_filing"
            ),
            models.CheckConstraint(
                condition=Q(set_aside_reason="") | Q(settled_at__isnull=False),
                name="complaint_set_aside_is_settled",
            ),
        ]
        indexes = [
            # The pending list of a service, oldest deadline first, reads only pending rows.
            models.Index(
                fields=["service", "deadline"],
                condition=Q(settled_at__isnull=True),
                name="complaint_pending_idx",
            ),
            models.Index(fields=["filed_at"], name="complaint_filed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_place_display()} · {self.filed_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.settled_at is None


class ProtectionMeasure(models.Model):
    """A protection measure asked for a complaint, and what became of it."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        DENIED = "denied", _("Denied")
        IN_FORCE = "in_force", _("In force")
        LIFTED = "lifted", _("Lifted")
        EXPIRED = "expired", _("Expired")

    class Executor(models.TextChoices):
        POLICE = "police", _("National Police (PNP)")
        JUDICIARY = "judiciary", _("Judiciary (Poder Judicial)")
        PROSECUTOR = "prosecutor", _("Public Prosecutor's Office (Ministerio Público)")
        SERVICE = "service", _("This service (MIMP)")
        SHELTER = "shelter", _("Temporary shelter home (HRT)")
        HEALTH = "health", _("Health services")
        MUNICIPALITY = "municipality", _("Local government")
        OTHER = "other", _("Other institution")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="measures", verbose_name=_("case")
    )
    service = models.ForeignKey(
        CareService, on_delete=models.PROTECT, related_name="+", editable=False
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        related_name="measures",
        verbose_name=_("complaint it answers"),
    )
    measure_type = models.CharField(
        _("type of measure"), max_length=measures.CODE_LENGTH, choices=measures.TYPES.choices()
    )
    court = models.CharField(_("court"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    decided_at = models.DateTimeField(
        _("granted or denied at"),
        null=True,
        blank=True,
        help_text=_("Date and time of the court's decision."),
    )
    notified_on = models.DateField(_("notified on"), null=True, blank=True)
    executed_by = models.CharField(
        _("executed by"), max_length=12, choices=Executor.choices, blank=True
    )
    ended_on = models.DateField(_("lifted or expired on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("protection measure")
        verbose_name_plural = _("protection measures")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(measure_type__in=measures.TYPES.codes()),
                name="measure_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(state="requested", decided_at__isnull=True)
                | (~Q(state="requested") & Q(decided_at__isnull=False)),
                name="measure_decided_unless_requested",
            ),
            models.CheckConstraint(
                condition=Q(notified_on__isnull=True) | Q(state__in=sorted(GRANTED_STATES)),
                name="measure_notified_only_granted",
            ),
            models.CheckConstraint(
                condition=(Q(ended_on__isnull=True) & ~Q(state__in=sorted(ENDED_STATES)))
                | Q(ended_on__isnull=False, state__in=sorted(ENDED_STATES)),
                name="measure_ended_when_lifted",
            ),
        ]
        indexes = [
            models.Index(fields=["complaint", "decided_at"], name="measure_complaint_idx"),
        ]

    def __str__(self) -> str:
        return f"{measures.TYPES.label_for(self.measure_type)} · {self.get_state_display()}"

    @property
    def type_label(self) -> str:
        return measures.TYPES.label_for(self.measure_type)

    @property
    def was_granted(self) -> bool:
        return self.state in GRANTED_STATES


class FollowUp(models.Model):
    """A visit, call or accompaniment the caseworker schedules, with its due date."""

    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", _("Home visit")
        CALL = "call", _("Phone call")
        ACCOMPANIMENT = "accompaniment", _("Accompaniment")
        OTHER = "other", _("Other follow-up")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("case")
    )
    service = models.ForeignKey(
        CareService, on_delete=models.PROTECT, related_name="+", editable=False
    )
    kind = models.CharField(_("kind of follow-up"), max_length=13, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, max_length=1000)
    # When it was marked done or cancelled: a follow-up without it is pending.
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, done_on__isnull=True, cancel_reason="")
                | (Q(closed_at__isnull=False) & Q(done_on__isnull=False) & Q(cancel_reason=""))
                | (Q(closed_at__isnull=False) & Q(done_on__isnull=True) & ~Q(cancel_reason="")),
                name="follow_up_pending_done_or_cancelled",
            ),
        ]
        indexes = [
            models.Index(
                fields=["service", "due_on"],
                condition=Q(closed_at__isnull=True),
                name="follow_up_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_on}"

    @property
    def is_pending(self) -> bool:
        return self.closed_at is None


class AuditEntry(LogEntry):
    """Who read or changed which case, when, and what changed."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CREATE = "create", _("Registered")
        UPDATE = "update", _("Edited")
        ADD_ACTION = "add_action", _("Action recorded")
        REFER = "refer", _("Referred")
        CLOSE = "close", _("Closed")
        REOPEN = "reopen", _("Reopened")
        IMPORT = "import", _("Imported")
        COMPLAINT = "complaint", _("Complaint recorded")
        MEASURE = "measure", _("Protection measure recorded")
        FOLLOW_UP = "follow_up", _("Follow-up scheduled or settled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="audit_entries")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)

    class Meta(LogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.case_id} · {self.action} · {self.at:%Y-%m-%d %H:%M}"


class DocumentCheck(LogEntry):
    """One answer to "does this document have an earlier case anywhere in the network?".

    That answer reaches beyond the asker's scope, so each one is recorded: who asked, when,
    from where, for which service, how (the check while typing, the intake or edit form, the
    field sync) and what she was told. The document itself is never stored, only a keyed hash
    of it (`cases.actions.document_digest`): an administrator who holds a number can find its
    checks, and nobody can read the numbers back from the table.
    """

    class Via(models.TextChoices):
        CHECK = "check", _("Check while typing")
        INTAKE = "intake", _("Intake form")
        EDIT = "edit", _("Case edit")
        FIELD = "field", _("Field sync")

    class Answer(models.TextChoices):
        EARLIER = "earlier", _("Earlier case")
        NONE = "none", _("No earlier case")
        REFUSED = "refused", _("Refused: too many checks")

    service = models.ForeignKey(
        CareService, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    document_digest = models.CharField(_("document (keyed hash)"), max_length=64, db_index=True)
    via = models.CharField(_("asked through"), max_length=6, choices=Via.choices)
    answer = models.CharField(_("answer"), max_length=7, choices=Answer.choices)
    intake_key = models.UUIDField(
        _("intake"),
        null=True,
        blank=True,
        help_text=_("The one-time key of the intake in progress (its form or field item)."),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case edited"),
    )

    class Meta(LogEntry.Meta):
        verbose_name = _("document check")
        verbose_name_plural = _("document checks")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.via} · {self.at:%Y-%m-%d %H:%M}"


# Registry column name -> Case field name, for the fields that hold a registry variable.
REGISTRY_COLUMNS = {
    field.registry_column: field.name
    for field in Case._meta.local_fields
    if hasattr(field, "registry_column")
}
