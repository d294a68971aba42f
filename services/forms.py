"""Forms of the services pages, and what every app's forms share to refuse input that no
database stores: such input is an error next to its field, never a query that fails."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CareService, Community
from .rules import name_problems, storable_text_problems


def possible_key(field: models.Field, value) -> bool:
    """Whether `value`, as a form received it, could be a value of `field` (a key): without a
    NUL or broken character, of the field's type and, for a whole number, within the column's
    range. Anything else would fail the query it is sent in (a NUL on PostgreSQL, a number
    beyond 64 bits on SQLite), so it is refused before."""
    text = str(value)
    if storable_text_problems("", text):
        return False
    try:
        python = field.to_python(text)
    except ValidationError:
        return False
    if isinstance(python, int):
        try:
            low, high = connection.ops.integer_field_range(field.get_internal_type())
        except KeyError:
            return True
        return (low is None or low <= python) and (high is None or python <= high)
    return True


def key_field(form_field: forms.ModelChoiceField) -> models.Field:
    """The model field a model choice field's values are looked up in."""
    model = form_field.queryset.model
    name = form_field.to_field_name
    return model._meta.get_field(name) if name else model._meta.pk


class KeyCheckingMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows that refuses, as an invalid value, what no row could have as
    its key, before it reaches the query (Django checks only for a NUL)."""

    def _check_values(self, value):
        if isinstance(value, list | tuple):
            key = key_field(self)
            for item in value:
                if not possible_key(key, item):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": str(item)[:40]},
                    )
        return super()._check_values(value)


def validate_storable_text(value) -> None:
    """Refuse text that no database stores (`services.rules.storable_text_problems`)."""
    for _field, message in storable_text_problems("", value):
        raise ValidationError(message, code="unstorable")


def refuse_unstorable_text(form: forms.BaseForm) -> None:
    """Have every text field of `form` refuse characters no database stores. Django refuses a
    NUL byte already; an unpaired surrogate can still arrive through the field sync's JSON."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            field.validators.append(validate_storable_text)


class NamedModelForm(forms.ModelForm):
    """A model form whose `name` ends up in reports and exports: refused when a spreadsheet
    would read it as a formula (`services.rules.spreadsheet_safe_problems`)."""

    def clean_name(self):
        name = self.cleaned_data.get("name")
        for _field, message in name_problems("name", name):
            raise ValidationError(message, code="formula")
        return name


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


# Search-as-you-type filters ------------------------------------------------------------------
# A filter among hundreds of services or thousands of communities ships no <option> per row: it
# is a text input that takes the code (a service's code, a community's number), which
# static/js/autocomplete.js offers as the user types, from the `/geo/.../search/` endpoints.
# Those endpoints answer from the same scoped querysets below as the lists filter by, so that
# nobody is offered a name outside her scope. Without JavaScript, typing the code works.

AUTOCOMPLETE_MIN_CHARS = 2
AUTOCOMPLETE_LIMIT = 20


class SearchChoiceField(forms.ModelChoiceField):
    """One row of `queryset`, typed (or chosen from the suggestions) by its key.

    The widget is a text input, so no query runs to render the field; the value is checked to
    be a possible key before it reaches the query (see `possible_key`) and answers "not one of
    the choices" when it is not, like a row outside the queryset.
    """

    def __init__(self, queryset, *, search_url, upper=False, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(queryset, **kwargs)
        self.upper = upper
        self.widget.attrs.update(
            {
                "data-autocomplete": search_url,
                "data-min-chars": str(AUTOCOMPLETE_MIN_CHARS),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        if self.upper:
            value = value.upper()
        if not value or not possible_key(key_field(self), value):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": ""}
            )
        return super().to_python(value)


def case_filter_services(services):
    """The services the case list filters by, among `services` (the user's visible ones)."""
    return services.filter(kind__in=[CareService.Kind.SAR, CareService.Kind.CEM])


def case_filter_communities(services):
    """The communities the case list filters by: those covered by `case_filter_services`."""
    return Community.objects.filter(
        pk__in=case_filter_services(services).order_by().values("covered_communities")
    )
