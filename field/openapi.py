"""The OpenAPI 3.1 description of field mode's endpoints (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from .package import MAX_PACKAGE_CASES
from .queries import MAX_OPEN_CASES
from .sync import MAX_ITEMS

STRING = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": {"$ref": "#/components/responses/LoginRequired"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
POST_ERRORS = {
    **ERRORS,
    "400": {"$ref": "#/components/responses/BadRequest"},
    "403": {"$ref": "#/components/responses/CsrfFailed"},
}
FORM_DATA = {
    "type": "object",
    "description": "What the online form would POST, under the same field names.",
    "additionalProperties": {
        "oneOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"type": "array", "items": {"type": ["string", "number"]}},
        ]
    },
}
ITEM_COMMON = {
    "id": {"type": "string", "format": "uuid", "description": "Made on the device."},
    "captured_at": {**DATETIME, "description": "When the device captured the item."},
    "data": FORM_DATA,
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": STRING, "detail": STRING, "login_url": STRING},
    },
    "OpenCase": {
        "type": "object",
        "required": ["code", "intake_date", "risk", "status"],
        "properties": {"code": STRING, "intake_date": DATE, "risk": STRING, "status": STRING},
    },
    "Service": {
        "type": "object",
        "required": ["code", "name", "region", "province", "district"],
        "properties": {
            "code": STRING,
            "name": STRING,
            "region": STRING,
            "province": STRING,
            "district": STRING,
        },
    },
    "PackageCase": {
        "type": "object",
        "required": [
            "code",
            "version",
            "intake_date",
            "status",
            "risk_level",
            "risk",
            "violence_type",
            "victim_name",
            "residence",
            "actions",
        ],
        "properties": {
            "code": STRING,
            "version": {"type": "integer"},
            "intake_date": DATE,
            "status": STRING,
            "risk_level": {"type": "integer"},
            "risk": STRING,
            "violence_type": STRING,
            "victim_name": STRING,
            "residence": STRING,
            "actions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "date"],
                    "properties": {"kind": STRING, "date": DATE},
                },
            },
        },
    },
    "ActivityType": {
        "type": "object",
        "description": "A type of community activity (activities/data/activity_types.csv).",
        "required": ["code", "label"],
        "properties": {"code": STRING, "label": STRING},
    },
    "Package": {
        "type": "object",
        "required": ["prepared_at", "user", "services", "cases", "activity_types"],
        "properties": {
            "prepared_at": DATETIME,
            "user": {"type": "integer"},
            "services": {"type": "array", "items": _ref("Service")},
            "cases": {"type": "array", "items": _ref("PackageCase")},
            "activity_types": {"type": "array", "items": _ref("ActivityType")},
        },
    },
    "Options": {
        "type": "object",
        "description": "Options by their parent's code.",
        "additionalProperties": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["value", "label"],
                "properties": {"value": STRING, "label": STRING},
            },
        },
    },
    "Geography": {
        "type": "object",
        "required": ["provinces", "districts", "communities"],
        "properties": {
            "provinces": _ref("Options"),
            "districts": _ref("Options"),
            "communities": _ref("Options"),
        },
    },
    "CaseItem": {
        "type": "object",
        "required": ["id", "type", "captured_at", "service", "data"],
        "properties": {**ITEM_COMMON, "type": {"const": "case"}, "service": STRING},
    },
    "ActionItem": {
        "type": "object",
        "required": ["id", "type", "captured_at", "case", "data"],
        "properties": {**ITEM_COMMON, "type": {"const": "action"}, "case": STRING},
    },
    "EditItem": {
        "type": "object",
        "required": ["id", "type", "captured_at", "case", "base_version", "data"],
        "properties": {
            **ITEM_COMMON,
            "type": {"const": "edit"},
            "case": STRING,
            "base_version": {"type": "integer"},
        },
    },
    "ActivityItem": {
        "type": "object",
        "description": (
            "A community activity registered offline: `data` holds the activity form's fields "
            "(`province` may be left out); the item's id becomes the activity's device key."
        ),
        "required": ["id", "type", "captured_at", "service", "data"],
        "properties": {**ITEM_COMMON, "type": {"const": "activity"}, "service": STRING},
    },
    "Item": {
        "oneOf": [_ref("CaseItem"), _ref("ActionItem"), _ref("EditItem"), _ref("ActivityItem")],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                "case": "#/components/schemas/CaseItem",
                "action": "#/components/schemas/ActionItem",
                "edit": "#/components/schemas/EditItem",
                "activity": "#/components/schemas/ActivityItem",
            },
        },
    },
    "Answer": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"enum": ["accepted", "refused", "conflict", "not_found"]},
            "result": {
                "type": "object",
                "description": (
                    "accepted: the stored case or activity (the first result for a repeat)."
                ),
                "properties": {"code": STRING, "url": STRING},
            },
            "errors": {
                "type": "object",
                "description": "refused: messages by field name (`__all__` for the whole item).",
                "additionalProperties": {"type": "array", "items": STRING},
            },
            "retry_after": {
                "type": "integer",
                "description": (
                    "refused only for too many document checks: nothing to correct; send the "
                    "same item again after this many seconds."
                ),
            },
            "current": {
                "type": "object",
                "description": "conflict: the stored version and values of the item's fields.",
                "properties": {
                    "version": {"type": "integer"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "properties": {"label": STRING, "value": {}, "display": STRING},
                        },
                    },
                },
            },
        },
    },
}


def document() -> dict[str, Any]:
    """Return the OpenAPI document, with the paths as this deployment routes them."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Warmi Ñan field mode",
            "version": "1.0.0",
            "description": (
                "The endpoints the field-mode device calls (docs/field-mode.md). Session "
                "authentication; POST requests carry the CSRF token in `X-CSRFToken`. Only "
                "caseworkers: anyone else gets 404, an expired session 401."
            ),
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
            "schemas": SCHEMAS,
            "responses": {
                "LoginRequired": _json(_ref("Error"), "The session expired: log in again."),
                "NotFound": _json(_ref("Error"), "Not a caseworker, or not in her scope."),
                "BadRequest": _json(_ref("Error"), "The body is not of the documented shape."),
                "CsrfFailed": _json(_ref("Error"), "The CSRF token is missing or stale."),
            },
        },
        "security": [{"session": []}],
        "paths": {
            reverse("field_csrf"): {
                "get": {
                    "operationId": "csrfToken",
                    "summary": "A fresh CSRF token for a page cached earlier.",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["csrfToken"],
                                "properties": {"csrfToken": STRING},
                            },
                            "The token.",
                        ),
                        **ERRORS,
                    },
                }
            },
            reverse("field_open_cases"): {
                "get": {
                    "operationId": "openCases",
                    "summary": f"Open cases of her services, newest first (at most "
                    f"{MAX_OPEN_CASES}; no names).",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["cases"],
                                "properties": {
                                    "cases": {"type": "array", "items": _ref("OpenCase")}
                                },
                            },
                            "The cases.",
                        ),
                        **ERRORS,
                    },
                }
            },
            reverse("field_package"): {
                "post": {
                    "operationId": "package",
                    "summary": (
                        "The package of the chosen cases (none for a trip without cases) and "
                        "the activity types; each case read is audited."
                    ),
                    "security": [{"session": [], "csrf": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["cases"],
                                    "properties": {
                                        "cases": {
                                            "type": "array",
                                            "items": STRING,
                                            "maxItems": MAX_PACKAGE_CASES,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Package"), "The package."),
                        **POST_ERRORS,
                    },
                }
            },
            reverse("field_geography"): {
                "get": {
                    "operationId": "geography",
                    "summary": "Provinces, districts and communities of her services' regions.",
                    "responses": {"200": _json(_ref("Geography"), "The places."), **ERRORS},
                }
            },
            reverse("field_sync"): {
                "post": {
                    "operationId": "sync",
                    "summary": "Store each item once; answer each, in the same order.",
                    "security": [{"session": [], "csrf": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["items"],
                                    "properties": {
                                        "items": {
                                            "type": "array",
                                            "items": _ref("Item"),
                                            "maxItems": MAX_ITEMS,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items"],
                                "properties": {"items": {"type": "array", "items": _ref("Answer")}},
                            },
                            "One answer per item.",
                        ),
                        **POST_ERRORS,
                    },
                }
            },
            reverse("field_openapi"): {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {"200": {"description": "The OpenAPI document."}, **ERRORS},
                }
            },
            reverse("field"): {
                "get": {
                    "operationId": "fieldPage",
                    "summary": "The field page (HTML, no case data; cacheable by the worker).",
                    "responses": {
                        "200": {"description": "The page.", "content": {"text/html": {}}},
                        "302": {"description": "Not logged in: to the login page."},
                        "404": {"description": "Not a caseworker."},
                    },
                }
            },
            reverse("field_manifest"): {
                "get": {
                    "operationId": "manifest",
                    "summary": "The web app manifest (public).",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The manifest.",
                            "content": {"application/manifest+json": {}},
                        }
                    },
                }
            },
            reverse("field_sw"): {
                "get": {
                    "operationId": "serviceWorker",
                    "summary": "The service worker, scoped to the whole site (public).",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The script.",
                            "content": {"application/javascript": {}},
                        },
                        "404": {"description": "Not installed."},
                    },
                }
            },
        },
    }
