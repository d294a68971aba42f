"""Cases and their audit trail in the admin, read-only; and the CSV import for administrators.

Cases are written through `cases.actions` (the intake form, the import), never edited or deleted
here: the admin lets an administrator find a case and read its audit trail.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from services.addresses import requested_from
from services.admin import GuardedInput
from services.admin_import import csv_import_urls

from .actions import log_case_view
from .models import AuditEntry, Case, DocumentCheck


class ReadOnlyAdmin(GuardedInput, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["code", "service", "intake_date", "status"]
    list_filter = ["status"]
    search_fields = ["code"]
    list_select_related = ["service"]
    date_hierarchy = "intake_date"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Every read of a case is audited, an administrator's too.
        case = self.get_object(request, object_id)
        if request.method == "GET" and case is not None and response.status_code == 200:
            with requested_from(request):
                log_case_view(case=case, user=request.user)
        return response

    def get_urls(self):
        # The CSV import of every kind (services.admin_import) lives at /admin/cases/case/import/.
        return [*csv_import_urls(self), *super().get_urls()]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "case_code", "action", "user", "ip_address"]
    list_filter = ["action"]
    search_fields = ["case__code"]
    list_select_related = ["case", "user"]
    date_hierarchy = "at"

    # The field has no verbose name, so its column header was the untranslated "CASE".
    @admin.display(description=_("case"), ordering="case__code")
    def case_code(self, entry):
        return entry.case.code


@admin.register(DocumentCheck)
class DocumentCheckAdmin(ReadOnlyAdmin):
    """Every answer to "has this document an earlier case?": who asked, when, from where, for
    which service, and what she was told. The document appears only as its keyed hash."""

    list_display = ["at", "user", "service", "via", "answer", "ip_address"]
    list_filter = [
        "answer",
        "via",
        ("service", admin.RelatedOnlyFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
    ]
    date_hierarchy = "at"
    list_select_related = ["user", "service"]
    fields = [
        "at",
        "user",
        "service",
        "via",
        "answer",
        "ip_address",
        "intake_key",
        "case",
        "document_digest",
    ]
    readonly_fields = fields
