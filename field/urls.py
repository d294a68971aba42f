from django.urls import path

from . import views

urlpatterns = [
    path("field/", views.field_page, name="field"),
    path("api/v1/csrf/", views.csrf_token, name="field_csrf"),
    path("api/v1/field/open-cases/", views.open_cases, name="field_open_cases"),
    path("api/v1/field/package/", views.package, name="field_package"),
    path("api/v1/field/geography/", views.geography, name="field_geography"),
    path("api/v1/sync/", views.sync_items, name="field_sync"),
    path("api/v1/openapi.json", views.openapi_document, name="field_openapi"),
    path("manifest.webmanifest", views.manifest, name="field_manifest"),
    path("sw.js", views.service_worker, name="field_sw"),
]
