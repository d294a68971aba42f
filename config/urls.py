from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = admin.site.site_title = _("Warmi Ñan: administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", include("services.urls")),
    path("cases/", include("cases.urls")),
    path("shelters/", include("shelters.urls")),
    path("reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
