"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document describing every field endpoint."""

import pytest
from django.urls import URLPattern
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from field import sync as sync_module
from field import urls as field_urls


@pytest.fixture
def document(cast, as_user):
    response = as_user(cast.caseworker_a).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_would_refuse_a_broken_document(document):
    broken = {**document, "paths": {"/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_route_of_the_field_app_is_described(document):
    routes = {
        "/" + str(pattern.pattern)
        for pattern in field_urls.urlpatterns
        if isinstance(pattern, URLPattern)
    }
    assert routes == set(document["paths"])
    assert len(routes) == 9


def test_the_sync_describes_the_four_item_types_and_the_four_answers(document):
    schemas = document["components"]["schemas"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in schemas["Item"]["oneOf"]} == {
        "CaseItem",
        "ActionItem",
        "EditItem",
        "ActivityItem",
    }
    assert set(schemas["Item"]["discriminator"]["mapping"]) == set(sync_module.TYPES)
    assert schemas["Answer"]["properties"]["status"]["enum"] == [
        "accepted",
        "refused",
        "conflict",
        "not_found",
    ]
    sync = document["paths"]["/api/v1/sync/"]["post"]
    assert (
        sync["requestBody"]["content"]["application/json"]["schema"]["properties"]["items"][
            "maxItems"
        ]
        == 100
    )


def test_the_activity_item_and_the_package_types_are_described(document):
    schemas = document["components"]["schemas"]
    activity = schemas["ActivityItem"]
    assert activity["properties"]["type"] == {"const": "activity"}
    assert set(activity["required"]) == {"id", "type", "captured_at", "service", "data"}
    assert "activity_types" in schemas["Package"]["required"]
    assert schemas["Package"]["properties"]["activity_types"]["items"] == {
        "$ref": "#/components/schemas/ActivityType"
    }
