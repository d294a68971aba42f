"""Date helpers shared by the forms and actions of every app."""

from datetime import date
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone


def completed_years(born: date, on: date) -> int:
    """Age in completed years on `on`, as the registry counts it (EDAD_VICTIMA)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def not_in_future(value: date | None, message) -> None:
    """Refuse a date after today (Lima time) with `message`."""
    if value and value > timezone.localdate():
        raise forms.ValidationError(message, code="future")


class DateInput(forms.DateInput):
    """The browser's date picker, which sends ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def service_zone() -> ZoneInfo:
    """The zone of the services' clocks (SERVICE_TIME_ZONE: America/Lima)."""
    return ZoneInfo(settings.SERVICE_TIME_ZONE)


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker (<input type="datetime-local">), which sends
    `2026-03-15T23:30`: no zone, no seconds, whatever the language."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ServiceDateTimeField(forms.DateTimeField):
    """A date and time read on the services' clock (America/Lima), whatever zone is active.

    What a caseworker types is what a wall clock in Peru said when the complaint was filed or
    the judge decided; the stored moment is aware, and is shown back on the same clock.
    """

    widget = DateTimeLocalInput

    def to_python(self, value):
        with timezone.override(service_zone()):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(service_zone()):
            return super().prepare_value(value)
