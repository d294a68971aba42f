"""Shelters in the Django admin, for administrators.

Stays are created, discharged and transferred only by the actions (the pages), which keep the
capacity and one-open-stay rules; here they can be read, not added or deleted. Nothing of a
person is ever deleted from the interface.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from services.admin import GuardedInput
from services.forms import NamedModelForm

from .models import Person, Shelter, ShelterLog, Stay


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shelter)
class ShelterAdmin(GuardedInput, NoDeleteMixin, admin.ModelAdmin):
    form = NamedModelForm
    list_display = ["code", "name", "district", "capacity", "occupied", "opened_on", "closed_on"]
    list_filter = ["district__province__region", "opened_on", "closed_on"]
    search_fields = ["code", "name", "district__name", "district__code"]
    autocomplete_fields = ["district"]
    date_hierarchy = "opened_on"
    list_select_related = ["district"]
    fieldsets = [
        (None, {"fields": ["code", "name", "district", "address", "capacity"]}),
        (_("Dates"), {"fields": ["opened_on", "closed_on"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_occupancy()

    def get_readonly_fields(self, request, obj=None):
        # Once a shelter exists, its capacity and closing go through shelters.actions
        # (the regional page): the capacity is checked under the shelter's row lock against the
        # people staying, a closing against its residents, and both are logged.
        return ["capacity", "closed_on"] if obj else []

    @admin.display(description=_("occupied"), ordering="occupied")
    def occupied(self, shelter):
        return shelter.occupied


class StayInline(GuardedInput, admin.TabularInline):
    model = Stay
    fk_name = "person"
    extra = 0
    can_delete = False
    fields = ["shelter", "role", "admitted_on", "discharged_on", "discharge_reason"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(GuardedInput, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["__str__", "sex", "birth_date", "victim_case", "created_at"]
    list_filter = ["sex"]
    search_fields = ["external_id", "full_name", "victim_case__code"]
    raw_id_fields = ["victim_case"]
    inlines = [StayInline]
    list_select_related = ["victim_case"]


@admin.register(Stay)
class StayAdmin(GuardedInput, NoDeleteMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "shelter",
        "role",
        "age_at_admission",
        "admitted_on",
        "planned_discharge_on",
        "discharged_on",
        "discharge_reason",
    ]
    list_filter = [
        "shelter__district__province__region",
        "role",
        "discharge_reason",
        ("discharged_on", admin.EmptyFieldListFilter),
        "admitted_on",
    ]
    search_fields = ["shelter__code", "person__external_id", "case__code", "=family_group"]
    date_hierarchy = "admitted_on"
    list_select_related = ["shelter"]
    readonly_fields = [
        "shelter",
        "person",
        "role",
        "family_group",
        "age_at_admission",
        "admitted_on",
        "discharged_on",
        "discharge_reason",
        "case",
        "referring_service",
        "transferred_from",
        "admitted_by",
        "discharged_by",
        "created_at",
    ]
    fields = [*readonly_fields[:6], "planned_discharge_on", *readonly_fields[6:]]

    def has_add_permission(self, request):
        return False


@admin.register(ShelterLog)
class ShelterLogAdmin(GuardedInput, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["at", "shelter", "action", "stay", "user", "ip_address"]
    list_filter = ["action", "shelter__district__province__region"]
    search_fields = ["shelter__code", "user__username"]
    date_hierarchy = "at"
    list_select_related = ["shelter", "stay", "user"]
    readonly_fields = ["shelter", "stay", "user", "at", "action", "changes", "ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
