from services.queries import services_visible_to
from services.scopes import scope_for


def test_each_member_of_the_cast_has_the_scope_of_her_assignments(cast):
    assert scope_for(cast.caseworker_a).service_ids == {cast.service_a.pk}
    assert scope_for(cast.regional_manager).manager_regions == {"08"}
    assert scope_for(cast.national_manager).national
    assert scope_for(cast.shelter_staff).shelter_regions == {"08"}
    assert scope_for(cast.admin).is_admin
    assert not scope_for(cast.outsider).has_role


def test_services_visible_to_each_member_of_the_cast(cast):
    a, b = cast.service_a, cast.service_b
    assert set(services_visible_to(cast.caseworker_a)) == {a}
    assert set(services_visible_to(cast.caseworker_b)) == {b}
    assert set(services_visible_to(cast.regional_manager)) == {a}
    assert set(services_visible_to(cast.national_manager)) == {a, b}
    assert set(services_visible_to(cast.admin)) == {a, b}
    assert set(services_visible_to(cast.shelter_staff)) == set()
    assert set(services_visible_to(cast.outsider)) == set()


def test_an_inactive_user_sees_nothing(cast):
    cast.national_manager.is_active = False
    assert not scope_for(cast.national_manager).has_role
    assert set(services_visible_to(cast.national_manager)) == set()


def test_scope_is_read_once_per_user_object(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        scope_for(cast.caseworker_a)
        scope_for(cast.caseworker_a)
