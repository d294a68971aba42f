"""Activities and their audit trail in the admin, read-only.

Activities are written through `activities.actions` (the form, the import, the field sync),
never edited or deleted here: the admin lets an administrator find one and read its trail.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .actions import log_activity_view
from .models import Activity, AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["code", "service", "date", "type", "district", "cancelled_at"]
    list_filter = ["type", ("cancelled_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "external_id"]
    list_select_related = ["service", "district"]
    date_hierarchy = "date"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Every read of an activity is audited, an administrator's too.
        activity = self.get_object(request, object_id)
        if request.method == "GET" and activity is not None and response.status_code == 200:
            log_activity_view(activity=activity, user=request.user)
        return response


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "activity_code", "action", "user", "ip_address"]
    list_filter = ["action"]
    search_fields = ["activity__code"]
    list_select_related = ["activity", "user"]
    date_hierarchy = "at"

    @admin.display(description=_("activity"), ordering="activity__code")
    def activity_code(self, entry):
        return entry.activity.code
