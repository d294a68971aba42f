"""Date helpers shared by the forms and actions of every app."""

from datetime import date

from django import forms
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
