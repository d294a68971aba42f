"""A factory for activities, and what the activity form posts."""

from datetime import date, timedelta

import factory
from django.db import transaction
from django.utils import timezone

from activities.models import Activity
from tests.factories import CareServiceFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    """A valid activity in its service's district; its code comes from the service's sequence
    like the app's."""

    class Meta:
        model = Activity

    service = factory.SubFactory(CareServiceFactory)
    date = date(2024, 5, 20)
    duration_hours = 2
    district = factory.LazyAttribute(lambda o: o.service.district)
    type = "TALLER"
    topic = "Prevención de la violencia en la familia"
    women = 12
    men = 5
    girls = 3
    boys = 2

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from activities.actions import activity_code, allocate_activity_numbers

        if "code" not in kwargs:
            service, year = kwargs["service"], kwargs["date"].year
            with transaction.atomic():  # the sequence row is locked, as in register_activity
                (sequence,) = allocate_activity_numbers(service, year)
            kwargs["code"] = activity_code(service, year, sequence)
        return super()._create(model_class, *args, **kwargs)


def activity_post_data(service, **overrides) -> dict:
    """What the activity form posts for a valid activity of `service`, in its district."""
    district = service.district
    return {
        "service": service.code,
        "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "duration_hours": "2.5",
        "type": "TALLER",
        "topic": "Prevención de la violencia en la familia",
        "partners": "Centro de salud de Urcos",
        "province": district.province_id,
        "district": district.code,
        "community": "",
        "new_community": "",
        "women": "14",
        "men": "6",
        "girls": "3",
        "boys": "1",
        **overrides,
    }


def activity_data(service, **overrides) -> dict:
    """Valid data for `register_activity` of `service`, in its district."""
    return {
        "date": timezone.localdate() - timedelta(days=1),
        "duration_hours": 2,
        "district": service.district,
        "community": None,
        "type": "TALLER",
        "topic": "Prevención de la violencia en la familia",
        "women": 14,
        "men": 6,
        "girls": 3,
        "boys": 1,
        "partners": "",
        **overrides,
    }
