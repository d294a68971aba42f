from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import CareService, Community, District, Province, Region, StaffAssignment


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province", "region_name"]
    list_filter = ["province__region"]
    search_fields = ["code", "name", "province__name"]
    list_select_related = ["province__region"]

    @admin.display(description=_("region"), ordering="province__region__name")
    def region_name(self, district):
        return district.province.region.name


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "district"]
    list_filter = ["kind", "district__province__region"]
    search_fields = ["name", "code", "district__name", "district__code"]
    autocomplete_fields = ["district"]
    list_select_related = ["district"]


class CareServiceAdminForm(forms.ModelForm):
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
class CareServiceAdmin(admin.ModelAdmin):
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
class StaffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "service", "region", "created_at"]
    list_filter = ["role", "region"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "service__code"]
    autocomplete_fields = ["user", "service", "region"]
    list_select_related = ["user", "service", "region"]


class StaffAssignmentInline(admin.TabularInline):
    model = StaffAssignment
    extra = 0
    autocomplete_fields = ["service", "region"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffAssignmentInline]
