from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CareService


class ServiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds"))] + list(CareService.Kind.choices),
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    active = forms.BooleanField(label=_("Active today only"), required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All regions"))] + [
            (region.code, region.name) for region in regions
        ]

    def filter(self, services):
        """Narrow `services` by the valid filters; invalid ones are ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        if query := data.get("q", "").strip():
            services = services.filter(Q(code__icontains=query) | Q(name__icontains=query))
        if kind := data.get("kind"):
            services = services.filter(kind=kind)
        if region := data.get("region"):
            services = services.in_regions([region])
        if data.get("active"):
            today = timezone.localdate()
            services = services.active_between(today, today)
        return services
