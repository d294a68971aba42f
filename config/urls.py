from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("services.urls")),
    path("cases/", include("cases.urls")),
    path("shelters/", include("shelters.urls")),
    path("reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
