from datetime import date

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import KeyCheckingMultipleChoiceField, NamedModelForm, possible_key
from .models import (
    CareService,
    Community,
    District,
    Province,
    RefusedAccess,
    Region,
    StaffAssignment,
)
from .queries import REFUSALS_WINDOW, refusals_of_user_since, users_with_refusals
from .rules import storable_text_problems

# Input that no database stores ------------------------------------------------------------------
# Django's admin sends some of what it is given straight to a query: the values of the list
# filters, the search of its autocomplete and the chosen options it draws again after an error.
# A NUL byte there (PostgreSQL refuses it) or a number beyond the column's range (SQLite refuses
# it) would be a server error; the mixin below refuses them first.


def _drawable(widget, values) -> list:
    """The chosen values that could be keys of the related model: only those are looked up."""
    remote = widget.field.remote_field
    opts = remote.model._meta
    key = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
    return [value for value in values if possible_key(key, value)]


class GuardedAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _drawable(self, value), attr)


class GuardedAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _drawable(self, value), attr)


def _unstorable(text: str) -> bool:
    return bool(storable_text_problems("", text))


def _impossible_day(year, month, day) -> bool:
    """Whether the date hierarchy's values name no day the admin can filter on: it builds the
    day and the next year, and lets an overflow or year 9999 fail the request."""
    try:
        chosen = date(*(int(part) if part is not None else 1 for part in (year, month, day)))
    except (ValueError, OverflowError):
        return True
    return chosen.year >= date.max.year


class GuardedInput:
    """For a model admin or inline: its lists, searches and forms answer bad input with their
    usual error, never a server error."""

    def get_changelist_instance(self, request):
        # Django answers this exception by redirecting to the list with `?e=1`.
        if any(_unstorable(value) for _name, values in request.GET.lists() for value in values):
            raise IncorrectLookupParameters
        hierarchy = self.date_hierarchy
        if hierarchy:
            parts = [request.GET.get(f"{hierarchy}__{part}") for part in ("year", "month", "day")]
            if parts[0] is not None and _impossible_day(*parts):
                raise IncorrectLookupParameters
        return super().get_changelist_instance(request)

    def get_search_results(self, request, queryset, search_term):
        if _unstorable(search_term):
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", KeyCheckingMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(GuardedInput, admin.ModelAdmin):
    form = NamedModelForm
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Province)
class ProvinceAdmin(GuardedInput, admin.ModelAdmin):
    form = NamedModelForm
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(District)
class DistrictAdmin(GuardedInput, admin.ModelAdmin):
    form = NamedModelForm
    list_display = ["code", "name", "province", "region_name"]
    list_filter = ["province__region"]
    search_fields = ["code", "name", "province__name"]
    list_select_related = ["province__region"]

    @admin.display(description=_("region"), ordering="province__region__name")
    def region_name(self, district):
        return district.province.region.name


@admin.register(Community)
class CommunityAdmin(GuardedInput, admin.ModelAdmin):
    form = NamedModelForm
    list_display = ["name", "kind", "code", "district"]
    list_filter = ["kind", "district__province__region"]
    search_fields = ["name", "code", "district__name", "district__code"]
    autocomplete_fields = ["district"]
    list_select_related = ["district"]


class CareServiceAdminForm(NamedModelForm):
    class Meta:
        model = CareService
        fields = [
            "code",
            "kind",
            "name",
            "district",
            "opened_on",
            "closed_on",
            "open_24h",
            "covered_districts",
            "covered_communities",
        ]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        districts = cleaned.get("covered_districts")
        communities = cleaned.get("covered_communities")
        if kind and kind != CareService.Kind.SAR and (districts or communities):
            self.add_error(
                "covered_districts",
                _("Only a SAR records the districts and communities it covers."),
            )
        if districts is not None and communities:
            covered = {d.pk for d in districts}
            outside = [c.name for c in communities if c.district_id not in covered]
            if outside:
                self.add_error(
                    "covered_communities",
                    _("These communities are outside the districts covered: %(names)s")
                    % {"names": ", ".join(outside)},
                )
        return cleaned


@admin.register(CareService)
class CareServiceAdmin(GuardedInput, admin.ModelAdmin):
    form = CareServiceAdminForm
    list_display = ["code", "name", "kind", "district", "opened_on", "closed_on", "open_24h"]
    list_filter = ["kind", "open_24h", "district__province__region", "opened_on"]
    search_fields = ["code", "name", "district__name"]
    autocomplete_fields = ["district", "covered_districts", "covered_communities"]
    date_hierarchy = "opened_on"
    list_select_related = ["district"]
    fieldsets = [
        (None, {"fields": ["code", "kind", "name", "district"]}),
        (_("Dates"), {"fields": ["opened_on", "closed_on", "open_24h"]}),
        (_("Coverage (SAR)"), {"fields": ["covered_districts", "covered_communities"]}),
    ]


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(GuardedInput, admin.ModelAdmin):
    list_display = ["user", "role", "service", "region", "created_at"]
    list_filter = ["role", "region"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "service__code"]
    autocomplete_fields = ["user", "service", "region"]
    list_select_related = ["user", "service", "region"]


class StaffAssignmentInline(GuardedInput, admin.TabularInline):
    model = StaffAssignment
    extra = 0
    autocomplete_fields = ["service", "region"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(GuardedInput, UserAdmin):
    inlines = [StaffAssignmentInline]


# The trail of refused accesses (services.audit): read-only, for administrators --------------


class RepeatedRefusalsFilter(admin.SimpleListFilter):
    """The last 24 hours' refusals of the users refused at least N times in them."""

    title = _("repeated refusals (last 24 hours)")
    parameter_name = "repeated"
    THRESHOLDS = (5, 20)

    def lookups(self, request, model_admin):
        return [
            (str(n), _("Users refused %(n)d or more times") % {"n": n}) for n in self.THRESHOLDS
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            at_least = int(self.value())
        except ValueError:
            return queryset.none()
        since = timezone.now() - REFUSALS_WINDOW
        return queryset.filter(at__gte=since, user__in=users_with_refusals(at_least, since=since))


@admin.register(RefusedAccess)
class RefusedAccessAdmin(GuardedInput, admin.ModelAdmin):
    list_display = [
        "at",
        "user",
        "reason",
        "method",
        "path",
        "object_code",
        "ip_address",
        "refusals_last_day",
    ]
    list_filter = [RepeatedRefusalsFilter, "reason", ("user", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "at"
    search_fields = ["user__username", "path", "object_code"]
    list_select_related = ["user"]
    readonly_fields = ["at", "user", "reason", "method", "path", "object_code", "ip_address"]
    fields = readonly_fields

    def get_queryset(self, request):
        since = timezone.now() - REFUSALS_WINDOW
        return super().get_queryset(request).annotate(refusals=refusals_of_user_since(since))

    @admin.display(description=_("refusals of this user in the last 24 hours"))
    def refusals_last_day(self, entry):
        return entry.refusals or 0

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
