"""Logging out has the browser wipe what field mode stored on the device."""

from django.urls import reverse


def test_logout_answers_clear_site_data_storage(cast, as_user):
    client = as_user(cast.caseworker_a)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session


def test_a_get_does_not_log_out_nor_wipe(cast, as_user):
    response = as_user(cast.caseworker_a).get(reverse("logout"))
    assert response.status_code == 405
    assert not response.has_header("Clear-Site-Data")
