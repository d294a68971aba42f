"""factory-boy factories for the models of every app."""

from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.db import transaction

from cases.models import Case
from services.models import CareService, Community, District, Province, Region, StaffAssignment
from shelters.models import Person, Sex, Shelter, Stay


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{90 + n % 10:02d}")
    name = factory.Sequence(lambda n: f"Región {n}")


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"99{n % 100:02d}")
    region = factory.LazyAttribute(lambda o: RegionFactory(code=o.code[:2]))
    name = factory.Sequence(lambda n: f"Provincia {n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["code"]

    # The code comes first and its parents follow from it, as INEI codes nest.
    code = factory.Sequence(lambda n: f"99{n // 100 % 100:02d}{n % 100:02d}")
    province = factory.LazyAttribute(lambda o: ProvinceFactory(code=o.code[:4]))
    name = factory.Sequence(lambda n: f"Distrito {n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    district = factory.SubFactory(DistrictFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.district.code}{n % 10000:04d}")
    name = factory.Sequence(lambda n: f"Comunidad {n}")
    kind = Community.Kind.CAMPESINA


class CareServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareService

    code = factory.Sequence(lambda n: f"SRV-{n:04d}")
    kind = CareService.Kind.SAR
    name = factory.Sequence(lambda n: f"Servicio {n}")
    district = factory.SubFactory(DistrictFactory)
    opened_on = date(2020, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Pérez {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory)
    role = StaffAssignment.Role.CASEWORKER


class CaseFactory(factory.django.DjangoModelFactory):
    """A valid case; its code and number come from the service's sequence like the app's."""

    class Meta:
        model = Case

    service = factory.SubFactory(CareServiceFactory)
    intake_date = date(2023, 3, 15)
    condition = 1
    entry_route = 1
    victim_name = factory.Sequence(lambda n: f"Persona Usuaria {n}")
    victim_age = 30
    victim_sex = 0
    district = factory.LazyAttribute(lambda o: o.service.district)
    aggressor_sex = 1
    relationship = 1
    partner_relationship = 3
    violence_type = 1
    risk_level = 2

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from cases.actions import allocate_case_numbers, case_code, case_number

        service, intake = kwargs["service"], kwargs["intake_date"]
        if "code" not in kwargs:
            with transaction.atomic():  # the sequence row is locked, as in open_case
                (sequence,) = allocate_case_numbers(service, intake.year)
            kwargs["code"] = case_code(service, intake.year, sequence)
            kwargs.setdefault("number", case_number(intake.year, sequence))
        return super()._create(model_class, *args, **kwargs)


class ShelterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shelter

    code = factory.Sequence(lambda n: f"HRT-{n:06d}")
    name = factory.Sequence(lambda n: f"Hogar {n}")
    district = factory.SubFactory(DistrictFactory)
    # Each address unique, so a test can look for one shelter's address in a page.
    address = factory.Sequence(lambda n: f"Jr. Confidencial {n}")
    capacity = 10
    opened_on = date(2020, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Residente {n}")
    sex = Sex.FEMALE


class StayFactory(factory.django.DjangoModelFactory):
    """An open stay written directly (no capacity check): for setting up boards quickly."""

    class Meta:
        model = Stay

    shelter = factory.SubFactory(ShelterFactory)
    person = factory.SubFactory(PersonFactory)
    role = Stay.Role.WOMAN
    age_at_admission = 30
    admitted_on = date(2024, 1, 10)


def intake_post_data(service, **overrides) -> dict:
    """What the online intake form posts for a valid case of `service`, residing in its district
    (the field sync's items carry the same)."""
    from datetime import timedelta

    from django.utils import timezone

    district = service.district
    return {
        "service": service.code,
        "intake_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "condition": "1",
        "entry_route": "1",
        "victim_name": "Rosa Quispe Huamán",
        "victim_document_type": "DNI",
        "victim_document_number": "41234567",
        "victim_age": "34",
        "victim_sex": "0",
        "victim_peruvian": "on",
        "region": district.province.region_id,
        "province": district.province_id,
        "district": district.code,
        "aggressor_sex": "1",
        "relationship": "1",
        "partner_relationship": "3",
        "violence_type": "2",
        "violence_acts": ["BOFETADAS", "EMPUJONES"],
        "risk_level": "3",
        "daughters_0_17": "1",
        "sons_0_17": "0",
        "daughters_18_plus": "0",
        "sons_18_plus": "0",
        "complaint_filed": "false",
        "wants_to_file": "true",
        "protective_measures": "unknown",
        **overrides,
    }


def repeat_check_post_data(user, service: CareService, document: str, **overrides) -> dict:
    """What the intake form's check while typing posts: the document, the form's one-time key
    (not yet used) and the signed proof the form was drawn with for this user and service."""
    import uuid

    from cases.actions import intake_proof

    return {
        "document": document,
        "service": service.code,
        "submission_token": str(uuid.uuid4()),
        "intake_proof": intake_proof(user=user, service=service),
        **overrides,
    }
